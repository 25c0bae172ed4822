"""Two ``argosy controller`` processes with the default configuration on one namespace.

A rollout overlapping the old Pod, or a second controller started by mistake: with no
sharding flag both processes get the same replica id (the host name). Exactly one may
act on each application; the other stands by and, when the active one is SIGKILLed in
the middle of syncs (PreSync hook Jobs waiting on a node label), takes over within
15 s, resumes the operations without creating the hooks again and loses none.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.controller.bootstrap import bootstrap
from support.cluster import ClusterHandle
from support.controller import RunningController, operation_state
from support.gate import close_gates, gated_hook, new_gate, open_gate
from support.gitrepo import GitRepo

Obj = dict[str, Any]
APPS = 3
TAKEOVER_LIMIT_S = 15.0


class Controllers:
    """Default-configured controller subprocesses; each is SIGKILLed at the end of the test."""

    def __init__(self, cluster: ClusterHandle, namespace: str, tmp: Path) -> None:
        self.cluster, self.namespace, self.tmp = cluster, namespace, tmp
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> int:
        index = len(self.procs)
        log = (self.tmp / f"controller-{index}.log").open("wb")
        # No sharding flag and no POD_NAME: the default configuration. Only the metrics port is
        # off, so that two processes on one host do not compete for 8082.
        cmd = [sys.executable, "-m", "argosy", "controller", "--namespace", self.namespace]
        cmd += ["--kubeconfig", str(self.cluster.kubeconfig), "--metrics-port", "0"]
        env = {k: v for k, v in os.environ.items() if k not in ("POD_NAME", "ARGOSY_CONTROLLER_SHARDS")}
        env["ARGOSY_REPO_CACHE_DIR"] = str(self.tmp / f"cache-{index}")
        self.procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env))
        return index

    def log(self, index: int) -> str:
        return (self.tmp / f"controller-{index}.log").read_text(errors="replace")

    def wait_log(self, index: int, text: str, timeout: float) -> float:
        started = time.monotonic()
        while text not in self.log(index):
            assert self.procs[index].poll() is None, f"controller {index} exited:\n{self.log(index)}"
            assert time.monotonic() - started < timeout, f"controller {index} never logged {text!r}"
            time.sleep(0.05)
        return time.monotonic() - started

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.fixture
def control_plane(cluster: ClusterHandle, tmp_path: Path) -> Iterator[RunningController]:
    ctl = RunningController(cluster, tmp_path / "unused-cache")  # its namespace and kubectl helpers
    bootstrap(ctl.client, ctl.namespace)
    ctl.set_argocd_cm({"installationID": ctl.namespace})
    yield ctl
    cluster.kubectl("delete", "namespace", ctl.namespace, "--wait=false", check=False)


def _app_files(i: int, gate: str) -> dict[str, str | None]:
    hook = gated_hook(f"hook-{i}", gate)  # waits until the test opens the gate
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}, "data": {"v": "1"}}
    return {f"apps/app-{i}/hook.yaml": yaml.safe_dump(hook), f"apps/app-{i}/cm.yaml": yaml.safe_dump(cm)}


def _hook_running(app: Obj) -> bool:
    state = operation_state(app)
    hooks = [r for r in (state.get("syncResult") or {}).get("resources") or [] if r.get("hookType")]
    return state.get("phase") == "Running" and bool(hooks) and hooks[0].get("status") == "Synced"


def _jobs(cluster: ClusterHandle, namespace: str) -> list[Obj]:
    return list(json.loads(cluster.kubectl("get", "jobs", "-n", namespace, "-o", "json").stdout)["items"])


def _operation_starts(ctl: RunningController) -> Counter[str]:
    out = ctl.cluster.kubectl(
        "get", "events", "-n", ctl.namespace, "--field-selector", "reason=OperationStarted", "-o", "json"
    ).stdout
    return Counter(e["involvedObject"]["name"] for e in json.loads(out)["items"])


def _wait(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s: {what}"
        time.sleep(0.2)


def test_second_default_controller_stands_by_and_takes_over_after_sigkill(
    cluster: ClusterHandle, control_plane: RunningController, namespace: str, tmp_path: Path
) -> None:
    ctl = control_plane
    gate = new_gate()
    repo = GitRepo(tmp_path / "apps.git")
    files: dict[str, str | None] = {}
    for i in range(APPS):
        files.update(_app_files(i, gate))
    repo.commit(files)
    procs = Controllers(cluster, ctl.namespace, tmp_path)
    try:
        both = [procs.start(), procs.start()]  # at once, as two Pods of a rollout would
        for index in both:
            procs.wait_log(index, "controller running in namespace", 60)
        for i in range(APPS):
            ctl.apply_app(
                f"app-{i}",
                {
                    "project": "default",
                    "source": {"repoURL": f"file://{repo.bare}", "path": f"apps/app-{i}"},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
                    "syncPolicy": {"automated": {"prune": True}},
                },
            )
        before = {
            f"app-{i}": operation_state(ctl.wait_app(f"app-{i}", _hook_running, "PreSync hook running", 60))
            for i in range(APPS)
        }
        hooks = {j["metadata"]["name"]: j["metadata"]["uid"] for j in _jobs(cluster, namespace)}
        assert sorted(hooks) == [f"hook-{i}" for i in range(APPS)], hooks
        assert _operation_starts(ctl) == Counter({f"app-{i}": 1 for i in range(APPS)})
        acting = [i for i in both if "reconciled" in procs.log(i) or "operation started" in procs.log(i)]
        assert len(acting) == 1, f"{len(acting)} controllers acted on the apps; exactly one may"
        [active] = acting
        [standby] = [i for i in both if i != active]

        procs.procs[active].send_signal(signal.SIGKILL)
        assert procs.procs[active].wait(timeout=10) == -signal.SIGKILL
        killed = time.monotonic()
        open_gate(cluster, gate)
        done = {
            name: operation_state(
                ctl.wait_app(name, lambda a: operation_state(a).get("phase") == "Succeeded", "Succeeded", 60)
            )
            for name in before
        }
        finished = time.monotonic() - killed
    finally:
        close_gates(cluster, gate)
        procs.kill_all()

    print(f"{APPS} interrupted operations finished by the standby {finished:.1f} s after the SIGKILL")
    assert "reconciled" in procs.log(standby), "the operations were finished by the standby"
    assert finished <= TAKEOVER_LIMIT_S, "the standby takes over within 15 s"
    for name, state in done.items():
        assert state["startedAt"] == before[name]["startedAt"], f"{name}: the operation resumed"
        assert state["syncResult"]["revision"] == repo.sha()
    after = {j["metadata"]["name"]: j["metadata"]["uid"] for j in _jobs(cluster, namespace)}
    assert after == hooks, "every hook Job created exactly once"
    assert _operation_starts(ctl) == Counter({f"app-{i}": 1 for i in range(APPS)}), "no operation twice"
    for i in range(APPS):
        history = ctl.app(f"app-{i}")["status"]["history"]
        assert [h["revision"] for h in history] == [repo.sha()]
