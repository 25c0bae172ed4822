"""A session-long watch on the main cluster's kwok nodes (issue 11: "stay Ready for five minutes
under load").

Watching for five minutes inside one test cost the suite five idle minutes. The whole test
session is a better load than a busy loop (controllers, repo servers, browsers and ``kubectl``
on both cores), so the watch starts with the session's cluster and samples in a background
thread while every other test runs; ``test_nodes_stay_ready`` runs last and asserts on what was
seen, topping the watch up to five minutes (with both cores busy) only when the session was
shorter than that.

Each sample reads the Nodes' Ready condition, a 3-replica Deployment's Available condition and
ready replicas; at the end each node's Lease must have been renewed since the start, and
kube-controller-manager's log must never mention "disruption mode".
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from support.cluster import ClusterHandle

NAMESPACE = "node-watch"
DEPLOYMENT = "cups"
REPLICAS = 3
SAMPLE_SECONDS = 5.0
ROLLOUT_SECONDS = 180.0


@dataclass
class WatchReport:
    """What the watch saw, for the final assertions."""

    seconds: float
    samples: int
    longest_gap: float
    problems: list[str] = field(default_factory=list)
    first_renewals: dict[str, float] = field(default_factory=dict)
    last_renewals: dict[str, float] = field(default_factory=dict)
    nodes: list[str] = field(default_factory=list)
    disruption_lines: list[str] = field(default_factory=list)


class NodeWatch:
    """Samples nodes, Leases and a Deployment every few seconds until :meth:`stop`."""

    def __init__(self, cluster: ClusterHandle) -> None:
        self._cluster = cluster
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="node-watch", daemon=True)
        self._problems: list[str] = []
        self._samples = 0
        self._longest_gap = 0.0
        self._started: float | None = None
        self._first_renewals: dict[str, float] = {}
        self._nodes: list[str] = []
        self._log = cluster.cluster.log_path("kube-controller-manager")
        self._log_offset = 0
        self._setup_error = ""
        self._report: WatchReport | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> NodeWatch:
        """Create the Deployment and begin sampling (the rollout is awaited in the thread, so
        the session is not held up)."""
        self._cluster.kubectl("create", "namespace", NAMESPACE, check=False)
        self._cluster.kubectl(
            "create",
            "deployment",
            DEPLOYMENT,
            "-n",
            NAMESPACE,
            "--image=example.invalid/cups:v1",
            f"--replicas={REPLICAS}",
            check=False,
        )
        self._thread.start()
        return self

    def elapsed(self) -> float:
        """Seconds of sampling so far (0 until the Deployment first became Available)."""
        with self._lock:
            return 0.0 if self._started is None else time.monotonic() - self._started

    def wait_started(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.elapsed() == 0.0 and not self._setup_error and time.monotonic() < deadline:
            time.sleep(1)

    def stop(self) -> WatchReport:
        """End the watch (once; later calls return the same report)."""
        if self._report is not None:
            return self._report
        self._stop.set()
        self._thread.join(timeout=60)
        api = self._apis()
        last = _lease_renewals(api) if self._started is not None else {}
        disruption: list[str] = []
        if self._log.exists():
            with self._log.open(errors="replace") as f:
                f.seek(self._log_offset)
                disruption = [line.strip() for line in f if "disruption mode" in line]
        with self._lock:
            problems = ([self._setup_error] if self._setup_error else []) + list(self._problems)
            self._report = WatchReport(
                seconds=0.0 if self._started is None else time.monotonic() - self._started,
                samples=self._samples,
                longest_gap=self._longest_gap,
                problems=problems,
                first_renewals=dict(self._first_renewals),
                last_renewals=last,
                nodes=list(self._nodes),
                disruption_lines=disruption,
            )
            return self._report

    # --- sampling --------------------------------------------------------------------------
    def _apis(self) -> tuple[Any, Any, Any]:
        from kubernetes import client

        api_client = self._cluster.api_client()
        return (
            client.CoreV1Api(api_client),
            client.CoordinationV1Api(api_client),
            client.AppsV1Api(api_client),
        )

    def _run(self) -> None:
        apis = self._apis()
        deadline = time.monotonic() + ROLLOUT_SECONDS
        while not self._stop.is_set():
            try:
                if _deployment_problem(apis) is None:
                    break
            except Exception:  # the API may be starting; retried until the deadline
                pass
            if time.monotonic() > deadline:
                self._setup_error = (
                    f"Deployment {NAMESPACE}/{DEPLOYMENT} not Available within {ROLLOUT_SECONDS}s"
                )
                return
            self._stop.wait(2)
        if self._stop.is_set():
            return
        nodes = _ready_nodes(apis)
        with self._lock:
            self._started = time.monotonic()
            self._log_offset = self._log.stat().st_size if self._log.exists() else 0
            self._nodes = sorted(nodes)
            self._first_renewals = _lease_renewals(apis)
            if set(nodes.values()) != {"True"}:
                self._problems.append(f"0s: nodes {nodes}")
            missing = set(nodes) - set(self._first_renewals)
            if missing:
                self._problems.append(f"nodes without a Lease: {sorted(missing)}")
        last = time.monotonic()
        while not self._stop.wait(SAMPLE_SECONDS):
            now = time.monotonic()
            at = now - (self._started or now)
            try:
                found = []
                ready = _ready_nodes(apis)
                if set(ready.values()) != {"True"}:
                    found.append(f"{at:.0f}s: nodes {ready}")
                problem = _deployment_problem(apis)
                if problem:
                    found.append(f"{at:.0f}s: {problem}")
            except Exception as exc:  # a failed read is itself a finding
                found = [f"{at:.0f}s: sample failed: {exc}"]
            with self._lock:
                self._samples += 1
                self._longest_gap = max(self._longest_gap, now - last)
                self._problems.extend(found)
            last = now


def _ready_nodes(apis: tuple[Any, Any, Any]) -> dict[str, str]:
    core = apis[0]
    return {
        n.metadata.name: next((c.status for c in n.status.conditions or [] if c.type == "Ready"), "Unknown")
        for n in core.list_node(_request_timeout=30).items
    }


def _lease_renewals(apis: tuple[Any, Any, Any]) -> dict[str, float]:
    """Each node Lease's last renewal, as a Unix time (0 when never renewed)."""
    leases = apis[1].list_namespaced_lease("kube-node-lease", _request_timeout=30).items
    return {
        lease.metadata.name: lease.spec.renew_time.timestamp() if lease.spec.renew_time else 0.0
        for lease in leases
    }


def _deployment_problem(apis: tuple[Any, Any, Any]) -> str | None:
    dep = apis[2].read_namespaced_deployment(DEPLOYMENT, NAMESPACE, _request_timeout=30)
    conditions = {c.type: c.status for c in (dep.status.conditions or [])}
    ready = int(dep.status.ready_replicas or 0)
    if conditions.get("Available") == "True" and ready == REPLICAS:
        return None
    return f"Deployment available={conditions.get('Available')} readyReplicas={ready}"
