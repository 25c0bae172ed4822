"""kwok nodes keep their Leases: Nodes stay Ready and Deployments stay Available, even under load.

A 3-replica Deployment is watched for five minutes on the session's local
cluster, sampled every few seconds; for the middle part both cores are kept
busy by a bounded busy loop. Nodes must stay Ready and the Deployment
Available in every sample, each node's Lease must keep being renewed, and
kube-controller-manager must never enter "master disruption mode".
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from support.cluster import ClusterHandle

WATCH_SECONDS = 300.0
SAMPLE_SECONDS = 5.0
BUSY_FROM, BUSY_UNTIL = 60.0, 240.0


def _burn(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    x = 0
    while time.monotonic() < deadline:
        x = (x * 31 + 7) % 1_000_003


@contextmanager
def busy_cpus(seconds: float, workers: int = 2) -> Iterator[None]:
    """Load ``workers`` cores for at most ``seconds`` (the loops end on their own)."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_burn, args=(seconds,), daemon=True) for _ in range(workers)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        for p in procs:
            p.join(timeout=seconds + 10)
            if p.is_alive():
                p.kill()


def _ready_nodes(cluster: ClusterHandle) -> dict[str, str]:
    nodes = json.loads(cluster.kubectl("get", "nodes", "-o", "json").stdout)["items"]
    return {
        n["metadata"]["name"]: next(
            (c["status"] for c in n["status"].get("conditions", []) if c["type"] == "Ready"), "Unknown"
        )
        for n in nodes
    }


def _lease_renewals(cluster: ClusterHandle) -> dict[str, str]:
    leases = json.loads(cluster.kubectl("get", "leases", "-n", "kube-node-lease", "-o", "json").stdout)
    return {lease["metadata"]["name"]: lease["spec"].get("renewTime", "") for lease in leases["items"]}


def _available(cluster: ClusterHandle, namespace: str) -> tuple[bool, int]:
    dep = json.loads(cluster.kubectl("get", "deployment", "cups", "-n", namespace, "-o", "json").stdout)
    conditions = {c["type"]: c["status"] for c in dep.get("status", {}).get("conditions", [])}
    return conditions.get("Available") == "True", int(dep.get("status", {}).get("readyReplicas") or 0)


def test_nodes_and_pods_stay_ready_for_five_minutes_even_with_the_cpu_busy(
    cluster: ClusterHandle, namespace: str
) -> None:
    cluster.kubectl(
        "create", "deployment", "cups", "-n", namespace, "--image=example.invalid/cups:v1", "--replicas=3"
    )
    cluster.kubectl(
        "rollout", "status", "deployment/cups", "-n", namespace, "--timeout=180s"
    )  # waits for 3 Ready
    log = cluster.cluster.log_path("kube-controller-manager")
    log_offset = log.stat().st_size
    nodes = _ready_nodes(cluster)
    assert nodes and set(nodes.values()) == {"True"}, nodes
    first_renewals = _lease_renewals(cluster)
    assert set(nodes) <= set(first_renewals), f"every kwok node has a Lease: {first_renewals}"

    problems: list[str] = []
    samples = 0
    start = time.monotonic()
    loaded = False
    with ExitStack() as stack:
        while (elapsed := time.monotonic() - start) < WATCH_SECONDS:
            if elapsed >= BUSY_FROM and not loaded:
                stack.enter_context(busy_cpus(BUSY_UNTIL - BUSY_FROM))
                loaded = True
            ready = _ready_nodes(cluster)
            available, replicas = _available(cluster, namespace)
            samples += 1
            if set(ready.values()) != {"True"}:
                problems.append(f"{elapsed:.0f}s: nodes {ready}")
            if not available or replicas != 3:
                problems.append(f"{elapsed:.0f}s: Deployment available={available} readyReplicas={replicas}")
            time.sleep(SAMPLE_SECONDS)

    assert samples >= WATCH_SECONDS / (SAMPLE_SECONDS + 5)
    assert problems == [], "\n".join(problems[:20])
    renewed = _lease_renewals(cluster)
    assert all(renewed[n] > first_renewals[n] for n in nodes), (first_renewals, renewed)
    with log.open(errors="replace") as f:
        f.seek(log_offset)
        disruption = [line for line in f if "disruption mode" in line]
    assert disruption == [], disruption[:5]
