"""Rollback to an earlier history id restores that revision's objects.

The operation is written the way the API server's rollback route writes it
(``operation.sync.revision`` and ``source`` from ``status.history[id]``), so
this is what ``argosy app rollback`` leads to in the controller.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, operation_state, sync_status
from support.gitrepo import GitRepo

Obj = dict[str, Any]
DONE = ("Succeeded", "Failed", "Error")


def configmap(name: str, version: str) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": version}}


def deployment(image: str) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


def run_operation(ctl: RunningController, name: str, operation: Obj, timeout: float = 45) -> Obj:
    ctl.cluster.kubectl(
        "patch",
        "application",
        name,
        "-n",
        ctl.namespace,
        "--type=merge",
        "-p",
        json.dumps({"operation": operation}),
    )
    app = ctl.wait_app(
        name,
        lambda a: "operation" not in a and operation_state(a).get("phase") in DONE,
        "the sync finished",
        timeout,
    )
    return app


def live(cluster: ClusterHandle, kind: str, namespace: str, name: str) -> Obj | None:
    proc = cluster.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def image(cluster: ClusterHandle, namespace: str) -> str:
    deploy = live(cluster, "deployment", namespace, "web")
    assert deploy is not None
    return str(deploy["spec"]["template"]["spec"]["containers"][0]["image"])


def test_rollback_to_an_earlier_history_id_restores_the_earlier_objects(
    cluster: ClusterHandle,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
    namespace: str,
) -> None:
    rev_a = git_repo.commit(
        {
            "app/alpha.yaml": yaml.safe_dump(configmap("alpha", "a")),
            "app/deploy.yaml": yaml.safe_dump(deployment("registry.example/web:1.0")),
        }
    )
    ctl = controller_factory().start()
    ctl.apply_app(
        "rollback",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app", "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        },
    )
    sync = {"initiatedBy": {"username": "test"}, "sync": {"revision": "", "prune": True}}
    app = run_operation(ctl, "rollback", sync)
    assert operation_state(app)["phase"] == "Succeeded", operation_state(app)

    rev_b = git_repo.commit(
        {
            "app/alpha.yaml": None,
            "app/beta.yaml": yaml.safe_dump(configmap("beta", "b")),
            "app/deploy.yaml": yaml.safe_dump(deployment("registry.example/web:2.0")),
        }
    )
    ctl.cluster.kubectl(
        "annotate", "application", "rollback", "-n", ctl.namespace, "argocd.argoproj.io/refresh=hard"
    )
    app = run_operation(ctl, "rollback", sync)
    assert operation_state(app)["phase"] == "Succeeded", operation_state(app)
    assert operation_state(app)["syncResult"]["revision"] == rev_b
    assert live(cluster, "configmap", namespace, "alpha") is None
    assert live(cluster, "configmap", namespace, "beta") is not None
    assert image(cluster, namespace) == "registry.example/web:2.0"
    history = app["status"]["history"]
    assert [h["revision"] for h in history] == [rev_a, rev_b]

    # What POST /api/v1/applications/rollback {id} writes (server/routes/app_operations.py).
    entry = next(h for h in history if h["revision"] == rev_a)
    rollback = {
        "initiatedBy": {"username": "test"},
        "sync": {
            "revision": entry["revision"],
            "dryRun": False,
            "prune": True,
            "syncStrategy": {"apply": {}},
            "source": entry["source"],
        },
    }
    app = run_operation(ctl, "rollback", rollback)
    state = operation_state(app)
    assert state["phase"] == "Succeeded", state
    assert state["syncResult"]["revision"] == rev_a
    alpha = live(cluster, "configmap", namespace, "alpha")
    assert alpha is not None and alpha["data"] == {"v": "a"}
    assert live(cluster, "configmap", namespace, "beta") is None
    assert image(cluster, namespace) == "registry.example/web:1.0"
    assert [h["revision"] for h in app["status"]["history"]] == [rev_a, rev_b, rev_a]
    assert app["status"]["history"][-1]["id"] == max(h["id"] for h in history) + 1
    # The app still targets main (rev B), so it now shows OutOfSync against Git.
    ctl.wait_app("rollback", lambda a: sync_status(a) == "OutOfSync", "OutOfSync against main", 30)
