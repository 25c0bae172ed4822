"""After a sync, the comparisons that follow cost no server-side dry run (issue 20).

Server-side diff asks the API server for a dry run of each object (one request each). Right
after the sync wrote an object, live *is* what that dry run would predict, so the controller
keeps the server's answer to the write as the prediction; and a Deployment whose status alone
changes while it rolls out (five or more writes by kube-controller-manager) keeps its
prediction. At a thousand apps these were ~13 of the ~50 requests each app cost the API server.
A real change by someone else still gets a fresh dry run and shows as drift.
"""

from __future__ import annotations

import time

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, sync_status
from support.gitrepo import GitRepo


def _objects() -> dict[str, str | None]:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "registry.example/web:1.0"}]},
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]},
    }
    files: dict[str, str | None] = {
        "app/deploy.yaml": yaml.safe_dump(deploy),
        "app/svc.yaml": yaml.safe_dump(service),
    }
    for i in range(3):
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}, "data": {"v": "1"}}
        files[f"app/cm-{i}.yaml"] = yaml.safe_dump(cm)
    return files


def test_a_synced_app_is_compared_without_dry_runs_until_someone_changes_it(
    cluster: ClusterHandle, git_repo: GitRepo, controller_factory: type[RunningController], namespace: str
) -> None:
    git_repo.commit(_objects())
    ctl = controller_factory().start()
    assert ctl.controller is not None
    ctl.apply_app(
        "reuse",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    )
    ctl.wait_app(
        "reuse",
        lambda a: sync_status(a) == "Synced" and health_status(a) == "Healthy",
        "Synced and Healthy",
        120,
    )
    ctl.refresh("reuse")  # one more full comparison, after the rollout's status writes
    assert ctl.app("reuse")["status"]["sync"]["status"] == "Synced"
    # Five objects, a rollout of three Pods: one dry run, for the Deployment once
    # kube-controller-manager added its deployment.kubernetes.io/revision annotation (metadata,
    # not status). Without reusing the writes: one per object plus one per status write.
    assert ctl.controller.server_side_dry_runs() <= 1, "the sync's writes serve as the predictions"

    # Someone else changes an object: a fresh dry run, and the change is drift (then healed).
    cluster.kubectl("patch", "configmap", "cm-1", "-n", namespace, "-p", '{"data":{"v":"2"}}')
    deadline = time.monotonic() + 60
    while _value(cluster, namespace) != "1":
        assert time.monotonic() < deadline, "the change was not seen as drift and healed"
        time.sleep(0.5)
    assert ctl.controller.server_side_dry_runs() >= 1


def _value(cluster: ClusterHandle, namespace: str) -> str:
    return cluster.kubectl("get", "configmap", "cm-1", "-n", namespace, "-o", "jsonpath={.data.v}").stdout
