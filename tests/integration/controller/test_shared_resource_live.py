"""FailOnSharedResource=true refuses to sync an object another app tracks."""

from __future__ import annotations

import json
from typing import Any

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, sync_status
from support.gitrepo import GitRepo


def _conditions(app: dict[str, Any]) -> list[str]:
    return [c["type"] for c in (app.get("status") or {}).get("conditions") or []]


def test_fail_on_shared_resource(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "shared"}, "data": {"k": "v"}}
    git_repo.commit({"app/cm.yaml": yaml.safe_dump(cm)})
    ctl = controller_factory().start()
    source = {"repoURL": f"file://{git_repo.bare}", "path": "app"}
    dest = {"server": "https://kubernetes.default.svc", "namespace": namespace}
    ctl.apply_app(
        "first",
        {"project": "default", "source": source, "destination": dest, "syncPolicy": {"automated": {}}},
    )
    ctl.wait_app("first", lambda a: sync_status(a) == "Synced", "first app owns the ConfigMap")
    ctl.apply_app(
        "second",
        {
            "project": "default",
            "source": source,
            "destination": dest,
            "syncPolicy": {"syncOptions": ["FailOnSharedResource=true"]},
        },
    )
    ctl.wait_app("second", lambda a: "SharedResourceWarning" in _conditions(a), "shared resource warning")
    body = {"operation": {"initiatedBy": {"username": "tester"}, "sync": {"revision": ""}}}
    cluster.kubectl(
        "patch", "application", "second", "-n", ctl.namespace, "--type=merge", "-p", json.dumps(body)
    )
    app = ctl.wait_app(
        "second",
        lambda a: ((a.get("status") or {}).get("operationState") or {}).get("phase") == "Failed",
        "sync refused",
    )
    assert app["status"]["operationState"]["message"].startswith("Shared resource found:")
    live = json.loads(cluster.kubectl("get", "configmap", "shared", "-n", namespace, "-o", "json").stdout)
    assert live["metadata"]["labels"]["app.kubernetes.io/instance"] == "first", "ownership must not move"
