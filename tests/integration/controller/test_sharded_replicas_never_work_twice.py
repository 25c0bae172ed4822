"""Controller replicas sharing one cluster's apps (``--shards auto``): balanced, a joining replica
moves little, a SIGKILLed replica's apps are taken over quickly, and no app is synced twice.

Real ``argosy controller`` subprocesses against the local control plane; the apps (one
ConfigMap each, automated) live in this test's own control-plane namespace. Applications of a
namespace this installation does not manage (another installation's, here decoys) must not count
in the balance: they once did, and the test's apps were split 13/6/5 when the cluster held other
tests' apps. Set
``ARGOSY_SHARD_TEST_APPS`` for a bigger fleet (the acceptance run used 1,000 via bench/).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.controller.bootstrap import bootstrap
from argosy.engine import sharding
from support.cluster import ClusterHandle
from support.controller import RunningController
from support.gitrepo import GitRepo

N = int(os.environ.get("ARGOSY_SHARD_TEST_APPS", "24"))
SYNC_ALL_S = max(120.0, 0.3 * N)
"""How long all N apps may take to sync (or be reconciled) once: 1,000 apps on two cores with three
controller processes, the API server and the test take ~4 minutes a round."""
Obj = dict[str, Any]


class Replicas:
    def __init__(self, cluster: ClusterHandle, namespace: str, tmp: Path) -> None:
        self.cluster, self.namespace, self.tmp = cluster, namespace, tmp
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, replica: str) -> None:
        log = (self.tmp / f"{replica}.log").open("wb")
        cmd = [sys.executable, "-m", "argosy", "controller", "--namespace", self.namespace]
        cmd += ["--kubeconfig", str(self.cluster.kubeconfig), "--metrics-port", "0"]
        cmd += ["--shards", "auto", "--replica-id", replica, "--status-processors", "4"]
        cmd += ["--operation-processors", "2"]
        env = {**os.environ, "ARGOSY_REPO_CACHE_DIR": str(self.tmp / f"cache-{replica}")}
        self.procs[replica] = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)

    def kill(self, replica: str) -> None:
        proc = self.procs[replica]
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)

    def log(self, replica: str) -> str:
        return (self.tmp / f"{replica}.log").read_text(errors="replace")

    def epochs(self) -> list[str]:
        """The leaders' "sharding epoch" log lines: what an unbalanced assignment was made from."""
        return [line for r in self.procs for line in self.log(r).splitlines() if "sharding" in line]


@pytest.fixture
def ctl(cluster: ClusterHandle, tmp_path: Path) -> Iterator[RunningController]:
    c = RunningController(cluster, tmp_path / "unused")
    bootstrap(c.client, c.namespace)
    c.set_argocd_cm({"installationID": c.namespace})
    yield c
    cluster.kubectl("delete", "namespace", c.namespace, "--wait=false", check=False)


def _apps(ctl: RunningController) -> list[Obj]:
    out = ctl.cluster.kubectl("get", "applications", "-n", ctl.namespace, "-o", "json").stdout
    return list(json.loads(out)["items"])


def _owners(ctl: RunningController) -> tuple[int, dict[str, str]]:
    out = ctl.cluster.kubectl(
        "get", "configmap", "argosy-controller-shards", "-n", ctl.namespace, "-o", "json", check=False
    ).stdout
    if not out.strip():
        return 0, {}
    data = json.loads(out)["data"]
    owners = sharding.decode(data["owners"], json.loads(data["members"]))
    keys = [f"{ctl.namespace}/app-{i}" for i in range(N)]
    return int(data["epoch"]), {k: owners[sharding.bucket_of(k)] for k in keys}


def _wait(what: str, check: Any, timeout: float) -> float:
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < timeout, f"timed out after {timeout:.0f}s: {what}"
        time.sleep(0.2)
    return time.monotonic() - start


def _all_synced_at(ctl: RunningController, sha: str) -> bool:
    apps = _apps(ctl)
    return len(apps) == N and all(
        (a.get("status") or {}).get("sync", {}).get("status") == "Synced"
        and (a.get("status") or {}).get("sync", {}).get("revision") == sha
        and ((a.get("status") or {}).get("operationState") or {}).get("phase") == "Succeeded"
        for a in apps
    )


def _operation_starts(ctl: RunningController) -> Counter[str]:
    out = ctl.cluster.kubectl(
        "get", "events", "-n", ctl.namespace, "--field-selector", "reason=OperationStarted", "-o", "json"
    ).stdout
    return Counter(e["involvedObject"]["name"] for e in json.loads(out)["items"])


def _commit(repo: GitRepo, version: str) -> str:
    files: dict[str, str | None] = {}
    for i in range(N):
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"cm-{i}"},
            "data": {"v": version},
        }
        files[f"apps/app-{i}/cm.yaml"] = yaml.safe_dump(cm)
    return repo.commit(files, version)


def _decoys(namespace: str, count: int) -> Obj:
    """Applications in a namespace the controller under test does not manage (never reconciled)."""
    spec = {
        "project": "default",
        "source": {"repoURL": "https://git.invalid/decoy.git", "path": "."},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
    }
    items = [
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": f"decoy-{i}", "namespace": namespace},
            "spec": spec,
        }
        for i in range(count)
    ]
    return {"apiVersion": "v1", "kind": "List", "items": items}


@pytest.fixture
def decoy_namespace(cluster: ClusterHandle) -> Iterator[str]:
    name = f"decoys-{os.getpid()}-{int(time.time())}"
    cluster.kubectl("create", "namespace", name)
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(_decoys(name, 10 * N)))
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


def test_replicas_share_apps_take_over_a_killed_one_and_never_sync_twice(
    cluster: ClusterHandle,
    ctl: RunningController,
    git_repo: GitRepo,
    namespace: str,
    decoy_namespace: str,
    tmp_path: Path,
) -> None:
    first = _commit(git_repo, "one")
    apps = []
    for i in range(N):
        spec = {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": f"apps/app-{i}"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        }
        meta = {"name": f"app-{i}", "namespace": ctl.namespace}
        apps.append(
            {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": meta, "spec": spec}
        )
    cluster.kubectl(
        "apply", "-f", "-", stdin=yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": apps})
    )

    replicas = Replicas(cluster, ctl.namespace, tmp_path)
    try:
        for r in ("r0", "r1", "r2"):
            replicas.start(r)
        _wait("all apps synced by three replicas", lambda: _all_synced_at(ctl, first), SYNC_ALL_S)
        _, owners = _owners(ctl)
        loads = Counter(owners.values())
        assert set(loads) == {"r0", "r1", "r2"}, loads
        # The leader's bound (engine.sharding.assign, coordinator._lead): within 10 % of the mean or
        # one app, whichever is more. Decoys counted in would leave the test's own apps ring-random.
        bound = max(1.5, 0.1 * N / 3)
        assert all(abs(n - N / 3) <= bound for n in loads.values()), (loads, replicas.epochs())

        # A fourth replica joins: it takes its share, little moves.
        _, before = _owners(ctl)
        replicas.start("r3")
        _wait("a new assignment with r3", lambda: "r3" in _owners(ctl)[1].values(), 30)
        _, after = _owners(ctl)
        moved = [k for k in before if before[k] != after[k]]
        assert len(moved) <= 0.3 * N + 1, (len(moved), N)
        assert all(after[k] == "r3" for k in moved), "apps move only to the new replica"

        # SIGKILL the busiest replica, then push: the others take over its apps and sync them once.
        victim = Counter(after.values()).most_common(1)[0][0]
        orphaned = [k for k, owner in after.items() if owner == victim]
        replicas.kill(victim)
        killed_at = time.monotonic()

        def taken_over() -> bool:
            by_name = {a["metadata"]["name"]: a for a in _apps(ctl)}
            return all(
                "argocd.argoproj.io/refresh"
                not in (by_name[k.split("/")[1]]["metadata"].get("annotations") or {})
                for k in orphaned
            )

        # The takeover itself is the coordination: the dead replica's Lease expires and the
        # leader assigns its buckets to the living (Lease timing, ~8-10 s). Reconciling the apps
        # afterwards is ordinary work, whose speed depends on the machine: waited for generously.
        _wait(
            "the killed replica's apps assigned to the others",
            lambda: all(owner != victim for owner in _owners(ctl)[1].values()),
            60,
        )
        takeover = time.monotonic() - killed_at
        # Pushed and refreshed only now: annotating the orphans is ~2 requests per app, 50 s of
        # the measured takeover with 1,000 apps (ARGOSY_SHARD_TEST_APPS) when it came first.
        second = _commit(git_repo, "two")
        ctl.request_refresh(*(k.split("/")[1] for k in orphaned))
        _wait("the killed replica's apps reconciled by the others", taken_over, SYNC_ALL_S)
        reconciled = time.monotonic() - killed_at
        print(f"takeover of {len(orphaned)} apps: {takeover:.1f} s (reconciled {reconciled:.1f} s)")
        assert takeover <= 15.0, takeover
        # The others' apps notice the commit at their refresh; ask for it so the test is quick.
        ctl.request_refresh(*(f"app-{i}" for i in range(N)))
        _wait("all apps synced to the second commit", lambda: _all_synced_at(ctl, second), SYNC_ALL_S)
        time.sleep(3)  # a duplicate sync, if any, would show by now
    finally:
        replicas.stop_all()
        logs = {r: replicas.log(r) for r in replicas.procs}

    for app in _apps(ctl):
        revisions = [h["revision"] for h in app["status"].get("history") or []]
        assert revisions == [first, second], (app["metadata"]["name"], revisions)
    starts = _operation_starts(ctl)
    assert all(starts[f"app-{i}"] == 2 for i in range(N)), starts
    assert not any("Traceback" in text for text in logs.values()), logs
