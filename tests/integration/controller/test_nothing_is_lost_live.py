"""Nothing is lost: an empty render never prunes, a bad manifest changes nothing.

* A commit that removes every manifest of an app with automated prune: the
  automated sync is skipped with a ``SyncError`` condition that says why, and
  a manual sync with prune is refused by the planner (``allowEmpty`` unset);
  every live object stays.
* A manifest the API server rejects: the sync's server-side dry run fails it
  before anything is written (same ``resourceVersion`` everywhere); a file
  that is not even YAML fails the render and the sync with it.
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


def configmap(name: str, color: str = "blue") -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"color": color}}


def deployment(name: str, replicas: Any = 1) -> Obj:
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


def sync_and_wait(ctl: RunningController, name: str, timeout: float = 45, **sync: Any) -> Obj:
    body = {"operation": {"initiatedBy": {"username": "test"}, "sync": {"revision": "", **sync}}}
    ctl.cluster.kubectl(
        "patch", "application", name, "-n", ctl.namespace, "--type=merge", "-p", json.dumps(body)
    )
    app = ctl.wait_app(
        name,
        lambda a: "operation" not in a and operation_state(a).get("phase") in DONE,
        "the sync finished",
        timeout,
    )
    return operation_state(app)


def versions(cluster: ClusterHandle, namespace: str) -> dict[str, str]:
    """uid and version of every ConfigMap and Deployment the test made.

    The version is ``metadata.generation`` where the kind has one (it moves only
    when the spec is written; the Deployment controller keeps updating status,
    and so the resourceVersion, while pods come up), else the resourceVersion.
    """
    out = cluster.kubectl("get", "configmaps,deployments", "-n", namespace, "-o", "json").stdout
    return {
        f"{o['kind']}/{o['metadata']['name']}": (
            f"{o['metadata']['uid']}@{o['metadata'].get('generation') or o['metadata']['resourceVersion']}"
        )
        for o in json.loads(out)["items"]
        if o["metadata"]["name"] != "kube-root-ca.crt"
    }


def app_spec(git_repo: GitRepo, namespace: str, **policy: Any) -> Obj:
    spec: Obj = {
        "project": "default",
        "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
    }
    if policy:
        spec["syncPolicy"] = policy
    return spec


def test_empty_render_with_prune_deletes_nothing_and_says_why(
    cluster: ClusterHandle,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
    namespace: str,
) -> None:
    git_repo.commit(
        {
            "app/README.md": "manifests of the shop\n",
            "app/cm.yaml": yaml.safe_dump(configmap("settings")),
            "app/deploy.yaml": yaml.safe_dump(deployment("web")),
        }
    )
    ctl = controller_factory().start()
    ctl.apply_app("empty", app_spec(git_repo, namespace, automated={"prune": True}))
    ctl.wait_app(
        "empty",
        lambda a: sync_status(a) == "Synced" and operation_state(a).get("phase") == "Succeeded",
        "auto-synced",
        45,
    )
    before = versions(cluster, namespace)
    assert set(before) == {"ConfigMap/settings", "Deployment/web"}

    empty = git_repo.commit({"app/cm.yaml": None, "app/deploy.yaml": None}, "remove every manifest")
    ctl.refresh("empty", wait=False)
    app = ctl.wait_app(
        "empty",
        lambda a: any(
            c["type"] == "SyncError" and "wipe out all resources" in c["message"]
            for c in a["status"].get("conditions") or []
        ),
        "a SyncError condition saying auto-sync would delete everything",
        30,
    )
    assert sync_status(app) == "OutOfSync"
    assert empty in json.dumps(app["status"]["conditions"])
    assert len(app["status"]["history"]) == 1, "no automated sync of the empty revision"

    # A manual sync with prune is refused by the planner, too.
    state = sync_and_wait(ctl, "empty", prune=True)
    assert state["phase"] == "Failed", state
    assert "Refusing to sync revision" in state["message"]
    assert "allowEmpty" in state["message"]
    assert versions(cluster, namespace) == before


def test_manifest_the_api_server_rejects_fails_the_dry_run_and_leaves_live_untouched(
    cluster: ClusterHandle,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
    namespace: str,
) -> None:
    git_repo.commit(
        {
            "app/cm.yaml": yaml.safe_dump(configmap("settings")),
            "app/deploy.yaml": yaml.safe_dump(deployment("web")),
        }
    )
    ctl = controller_factory().start()
    ctl.apply_app("malformed", app_spec(git_repo, namespace))
    first = sync_and_wait(ctl, "malformed")
    assert first["phase"] == "Succeeded", first
    before = versions(cluster, namespace)
    assert set(before) == {"ConfigMap/settings", "Deployment/web"}

    # The ConfigMap changes validly, the Deployment does not: neither may be written.
    git_repo.commit(
        {
            "app/cm.yaml": yaml.safe_dump(configmap("settings", "red")),
            "app/deploy.yaml": yaml.safe_dump(deployment("web", "two")),
        }
    )
    ctl.refresh("malformed", wait=False)
    state = sync_and_wait(ctl, "malformed")
    assert state["phase"] == "Failed", state
    assert state["message"] == "one or more objects failed to apply (dry run)"
    failed = [r for r in state["syncResult"]["resources"] if r["status"] == "SyncFailed"]
    assert [r["name"] for r in failed] == ["web"]
    assert "replicas" in failed[0]["message"]
    assert versions(cluster, namespace) == before

    # Not YAML at all: the render fails, so does the sync, and again nothing changes.
    git_repo.commit({"app/deploy.yaml": "kind: Deployment\nmetadata: {name: web\n  spec: [\n"})
    ctl.refresh("malformed", wait=False)
    state = sync_and_wait(ctl, "malformed")
    assert state["phase"] in ("Failed", "Error"), state
    assert "deploy.yaml" in state["message"], state["message"]
    assert versions(cluster, namespace) == before
    assert len(ctl.app("malformed")["status"]["history"]) == 1
