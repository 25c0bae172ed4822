"""A CRD larger than the 262 KB last-applied limit still syncs, and the result says how."""

from __future__ import annotations

import uuid

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, sync_status
from support.gitrepo import GitRepo


def test_crd_over_the_annotation_limit_syncs_server_side(
    cluster: ClusterHandle, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    group = f"big{uuid.uuid4().hex[:6]}.argosy.test"
    # ~300 KB of schema descriptions: kubectl's last-applied annotation could not hold it.
    properties = {f"field{i:04d}": {"type": "string", "description": "x" * 290} for i in range(1000)}
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"huges.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "huges", "singular": "huge", "kind": "Huge"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {"spec": {"type": "object", "properties": properties}},
                        }
                    },
                }
            ],
        },
    }
    text = yaml.safe_dump(crd)
    assert len(text) > 262144
    git_repo.commit({"app/crd.yaml": text})
    ctl = controller_factory().start()
    ctl.apply_app(
        "big-crd",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "default"},
            "syncPolicy": {"automated": {"prune": False}},
        },
    )
    app = ctl.wait_app("big-crd", lambda a: sync_status(a) == "Synced", "large CRD synced", 120)
    state = app["status"]["operationState"]
    assert state["phase"] == "Succeeded", state
    [entry] = [r for r in state["syncResult"]["resources"] if r["kind"] == "CustomResourceDefinition"]
    assert "server" in entry["message"].lower(), entry  # the result says server-side apply was used
    stored = cluster.kubectl("get", "crd", f"huges.{group}", "-o", "yaml").stdout
    assert "kubectl.kubernetes.io/last-applied-configuration" not in stored
    cluster.kubectl("delete", "crd", f"huges.{group}", "--wait=false")
