"""SIGKILL the controller process during a wave wait; a new one finishes the operation.

The controller runs as a real ``argosy controller`` subprocess. The PreSync
hook Job's Pod needs a node label nobody has, so the sync waits in its first
wave for as long as the test wants; the process is killed there (SIGKILL: no
cleanup of any kind), a second process is started, and only then is the label
added so the hook can complete. The operation must end Succeeded with the
same start time, the same hook Job (one uid throughout) and one
``OperationStarted`` event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.controller.bootstrap import bootstrap
from support.cluster import ClusterHandle
from support.controller import RunningController, operation_state
from support.controller_process import Processes
from support.gate import close_gates, gated_hook, new_gate, open_gate
from support.gitrepo import GitRepo

Obj = dict[str, Any]


@pytest.fixture
def processes(cluster: ClusterHandle, tmp_path: Path) -> Iterator[Processes]:
    with Processes(cluster, tmp_path) as procs:
        yield procs


def manifests(gate: str) -> dict[str, str | None]:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"a": "1"}}
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "annotations": {"argocd.argoproj.io/sync-wave": "1"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }
    return {
        "app/gate.yaml": yaml.safe_dump(gated_hook("gate", gate)),
        "app/cm.yaml": yaml.safe_dump(cm),
        "app/deploy.yaml": yaml.safe_dump(deploy),
    }


def hook_running(app: Obj) -> bool:
    state = operation_state(app)
    gate = [r for r in (state.get("syncResult") or {}).get("resources") or [] if r["name"] == "gate"]
    return state.get("phase") == "Running" and bool(gate) and gate[0].get("status") == "Synced"


def jobs(cluster: ClusterHandle, namespace: str) -> list[Obj]:
    out = cluster.kubectl("get", "jobs", "-n", namespace, "-o", "json").stdout
    return list(json.loads(out)["items"])


def test_sigkill_during_a_wave_wait_then_restart_finishes_the_operation(
    cluster: ClusterHandle,
    git_repo: GitRepo,
    namespace: str,
    processes: Processes,
    tmp_path: Path,
) -> None:
    gate = new_gate()
    git_repo.commit(manifests(gate))
    ctl = RunningController(cluster, tmp_path / "unused-cache")  # only its kubectl helpers
    bootstrap(ctl.client, ctl.namespace)
    try:
        first = processes.start(ctl.namespace)
        ctl.apply_app(
            "resume",
            {
                "project": "default",
                "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            },
        )
        body = {"operation": {"initiatedBy": {"username": "test"}, "sync": {"revision": ""}}}
        cluster.kubectl(
            "patch", "application", "resume", "-n", ctl.namespace, "--type=merge", "-p", json.dumps(body)
        )
        before = operation_state(ctl.wait_app("resume", hook_running, "the PreSync hook running", 45))
        [hook] = jobs(cluster, namespace)
        assert hook["metadata"]["name"] == "gate"
        assert first.poll() is None, "the first controller is still running"

        processes.kill(first)
        assert operation_state(ctl.app("resume"))["phase"] == "Running"

        second = processes.start(ctl.namespace)
        processes.wait_ready(second, 30)
        open_gate(cluster, gate)
        app = ctl.wait_app(
            "resume",
            lambda a: operation_state(a).get("phase") in ("Succeeded", "Failed", "Error"),
            "done",
            45,
        )
    finally:
        close_gates(cluster, gate)
        ctl.cluster.kubectl("delete", "namespace", ctl.namespace, "--wait=false", check=False)

    state = operation_state(app)
    assert state["phase"] == "Succeeded", state
    assert state["startedAt"] == before["startedAt"], "the operation resumed, it did not start again"
    results = {r["name"]: r for r in state["syncResult"]["resources"]}
    assert set(results) == {"gate", "settings", "web"}
    assert results["gate"]["hookPhase"] == "Succeeded"
    assert results["settings"]["status"] == results["web"]["status"] == "Synced"
    assert "operation" not in app
    assert [h["revision"] for h in app["status"]["history"]] == [git_repo.sha()]
    [after] = jobs(cluster, namespace)
    assert after["metadata"]["uid"] == hook["metadata"]["uid"], "the hook must not run twice"
    assert after["status"].get("succeeded") == 1
    started = cluster.kubectl(
        "get",
        "events",
        "-n",
        ctl.namespace,
        "--field-selector",
        "involvedObject.name=resume,reason=OperationStarted",
        "-o",
        "name",
    ).stdout.split()
    assert len(started) == 1, started
