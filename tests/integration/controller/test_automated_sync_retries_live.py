"""Automated sync through the running controller: bounded retries and prune off.

* A manifest the API server rejects: the automated sync is attempted as its
  retry policy says (1 + ``limit`` attempts), then the app waits for a new
  revision with a visible ``SyncError`` condition; it does not loop.
* With ``automated.prune`` off, an object whose file was deleted in Git stays
  live and is reported ``requiresPruning``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, operation_state, resource, sync_status
from support.gitrepo import GitRepo

Obj = dict[str, Any]
DONE = ("Succeeded", "Failed", "Error")


def configmap(name: str) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": name}}


def deployment(name: str, replicas: Any) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def live(cluster: ClusterHandle, kind: str, namespace: str, name: str) -> Obj | None:
    proc = cluster.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def sync_errors(app: Obj) -> list[str]:
    conditions = (app.get("status") or {}).get("conditions") or []
    return [str(c.get("message")) for c in conditions if c.get("type") == "SyncError"]


def test_rejected_manifest_is_attempted_a_bounded_number_of_times_then_waits_for_a_new_revision(
    cluster: ClusterHandle,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
    namespace: str,
) -> None:
    bad = git_repo.commit(
        {
            "app/cm.yaml": yaml.safe_dump(configmap("settings")),
            "app/deploy.yaml": yaml.safe_dump(deployment("web", "two")),
        }
    )
    # Reconcile every second, so a loop would show within the observation window below.
    ctl = controller_factory().start(argocd_cm={"timeout.reconciliation": "1s"})
    ctl.apply_app(
        "rejected",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {
                "automated": {"prune": True},
                "retry": {"limit": 2, "backoff": {"duration": "1s", "factor": 1}},
            },
        },
    )

    attempts: set[tuple[str, int]] = set()

    def observe(app: Obj) -> Obj:
        state = operation_state(app)
        if state.get("startedAt"):
            attempts.add((str(state["startedAt"]), int(state.get("retryCount") or 0)))
        return state

    app = ctl.wait_app(
        "rejected",
        lambda a: "operation" not in a and observe(a).get("phase") in DONE,
        "the automated sync and its retries ended",
        45,
    )
    state = operation_state(app)
    assert state["phase"] == "Failed", state
    assert state["syncResult"]["revision"] == bad
    assert state["retryCount"] == 2
    assert "replicas" in json.dumps(state["syncResult"]["resources"])
    assert state["message"].startswith("one or more objects failed to apply (dry run)"), state["message"]
    assert live(cluster, "configmap", namespace, "settings") is None, "the dry run must fail the whole sync"

    # The failure is visible as a condition, and nothing more is attempted for this revision.
    app = ctl.wait_app("rejected", lambda a: bool(sync_errors(a)), "a SyncError condition", 15)
    assert any(f"Failed sync attempt to {bad}" in m for m in sync_errors(app)), sync_errors(app)
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        app = ctl.app("rejected")
        observe(app)
        assert "operation" not in app, "a failed revision must not be synced again automatically"
        assert operation_state(app)["startedAt"] == state["startedAt"]
        time.sleep(0.2)
    assert {r for _, r in attempts} <= {0, 1, 2}, attempts
    assert len({s for s, _ in attempts}) == 1, f"more than one operation was started: {attempts}"
    started = cluster.kubectl(
        "get",
        "events",
        "-n",
        ctl.namespace,
        "--field-selector",
        "involvedObject.name=rejected,reason=OperationStarted",
        "-o",
        "name",
    ).stdout.split()
    assert len(started) == 1, started

    # A new revision is synced with no action.
    good = git_repo.commit({"app/deploy.yaml": yaml.safe_dump(deployment("web", 2))})
    ctl.refresh("rejected", wait=False)
    app = ctl.wait_app(
        "rejected",
        lambda a: (
            operation_state(a).get("phase") == "Succeeded"
            and operation_state(a)["syncResult"]["revision"] == good
        ),
        "the fixed revision synced",
        45,
    )
    assert live(cluster, "deployment", namespace, "web") is not None
    app = ctl.wait_app("rejected", lambda a: not sync_errors(a), "the SyncError condition cleared", 15)


def test_prune_off_leaves_objects_deleted_in_git_marked_requires_pruning(
    cluster: ClusterHandle,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
    namespace: str,
) -> None:
    git_repo.commit(
        {
            "app/keep.yaml": yaml.safe_dump(configmap("keep")),
            "app/gone.yaml": yaml.safe_dump(configmap("gone")),
        }
    )
    ctl = controller_factory().start()
    ctl.apply_app(
        "noprune",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {"prune": False}},
        },
    )
    ctl.wait_app(
        "noprune",
        lambda a: sync_status(a) == "Synced" and operation_state(a).get("phase") == "Succeeded",
        "auto-synced",
        45,
    )
    gone = live(cluster, "configmap", namespace, "gone")
    assert gone is not None

    git_repo.commit({"app/gone.yaml": None})
    ctl.refresh("noprune", wait=False)
    app = ctl.wait_app(
        "noprune",
        lambda a: resource(a, "ConfigMap", "gone").get("requiresPruning") is True,
        "the removed ConfigMap marked requiresPruning",
        30,
    )
    assert sync_status(app) == "OutOfSync"
    assert resource(app, "ConfigMap", "keep").get("status") == "Synced"
    still = live(cluster, "configmap", namespace, "gone")
    assert still is not None and still["metadata"]["uid"] == gone["metadata"]["uid"]
    assert len(app["status"]["history"]) == 1  # pruning alone starts no automated sync
    assert "operation" not in app
