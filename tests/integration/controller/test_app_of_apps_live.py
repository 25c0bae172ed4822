"""App of apps through the running controller.

A parent Application renders two child Applications (in the controller's
namespace, each with the resources finalizer and automated sync). The parent
creates them, each child syncs its own path of the same repository, and the
parent's health is its children's (Argosy's built-in Application health
rule): Progressing while a child waits for its Pod to be scheduled, Healthy
once both are. Removing one child from Git makes the parent prune it, and the
finalizer deletes that child's resources before the child goes.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import yaml

from argosy.model.constants import RESOURCES_FINALIZER
from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, resource, sync_status
from support.gitrepo import GitRepo

Obj = dict[str, Any]


def child_app(name: str, ctl_ns: str, repo: str, dest_ns: str) -> Obj:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": ctl_ns, "finalizers": [RESOURCES_FINALIZER]},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo, "path": f"children/{name}"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest_ns},
            "syncPolicy": {"automated": {"prune": True}},
        },
    }


def child_manifests(name: str, node_selector: dict[str, str] | None = None) -> dict[str, str | None]:
    pod: Obj = {"containers": [{"name": "web", "image": "nginx:1.27"}]}
    if node_selector:
        pod["nodeSelector"] = node_selector
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": f"{name}-web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": f"{name}-web"}},
            "template": {"metadata": {"labels": {"app": f"{name}-web"}}, "spec": pod},
        },
    }
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-config"}, "data": {"k": "v"}}
    return {
        f"children/{name}/deploy.yaml": yaml.safe_dump(deploy),
        f"children/{name}/cm.yaml": yaml.safe_dump(cm),
    }


def exists(cluster: ClusterHandle, *args: str) -> bool:
    return cluster.kubectl("get", *args, check=False).returncode == 0


def test_parent_creates_children_reflects_their_health_and_prunes_one_with_its_resources(
    cluster: ClusterHandle,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
    namespace: str,
) -> None:
    ctl = controller_factory()
    repo = f"file://{git_repo.bare}"
    gate = f"argosy.test/child-{uuid.uuid4().hex[:8]}"
    git_repo.commit(
        {
            "parent/alpha.yaml": yaml.safe_dump(child_app("alpha", ctl.namespace, repo, namespace)),
            "parent/beta.yaml": yaml.safe_dump(child_app("beta", ctl.namespace, repo, namespace)),
            **child_manifests("alpha"),
            **child_manifests("beta", {gate: "open"}),
        }
    )
    ctl.start()
    node = cluster.kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}").stdout.strip()
    try:
        ctl.apply_app(
            "parent",
            {
                "project": "default",
                "source": {"repoURL": repo, "path": "parent"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": ctl.namespace},
                "syncPolicy": {"automated": {"prune": True}},
            },
        )
        # The children are created and sync; beta's Pod cannot be scheduled yet, so beta is
        # Progressing and so is the parent.
        _wait(lambda: exists(cluster, "application", "alpha", "beta", "-n", ctl.namespace), "children", 30)
        ctl.wait_app(
            "alpha", lambda a: sync_status(a) == "Synced" and health_status(a) == "Healthy", "alpha ok", 45
        )
        ctl.wait_app(
            "beta", lambda a: sync_status(a) == "Synced" and health_status(a) == "Progressing", "beta", 45
        )
        parent = ctl.wait_app(
            "parent",
            lambda a: (
                resource(a, "Application", "beta")["health"]["status"] == "Progressing"
                and resource(a, "Application", "alpha")["health"]["status"] == "Healthy"
            ),
            "the parent sees its children's health",
            30,
        )
        assert health_status(parent) == "Progressing", parent["status"].get("health")
        assert sync_status(parent) == "Synced", parent["status"]["resources"]
        for child in ("alpha", "beta"):
            labels = ctl.app(child)["metadata"].get("labels") or {}
            assert labels.get("app.kubernetes.io/instance") == "parent", labels

        cluster.kubectl("label", "node", node, f"{gate}=open", "--overwrite")
        ctl.wait_app("beta", lambda a: health_status(a) == "Healthy", "beta Healthy", 45)
        ctl.wait_app(
            "parent",
            lambda a: health_status(a) == "Healthy" and sync_status(a) == "Synced",
            "the parent Healthy once both children are",
            30,
        )

        # Remove beta from Git: the parent prunes it, its finalizer deletes its resources first.
        git_repo.commit({"parent/beta.yaml": None})
        ctl.cluster.kubectl(
            "annotate", "application", "parent", "-n", ctl.namespace, "argocd.argoproj.io/refresh=normal"
        )
        ctl.wait_app(
            "parent",
            lambda a: (
                all(r["name"] != "beta" for r in a["status"]["resources"]) and sync_status(a) == "Synced"
            ),
            "beta pruned from the parent",
            45,
        )
        _wait(lambda: not exists(cluster, "application", "beta", "-n", ctl.namespace), "beta gone", 30)
        assert not exists(cluster, "deployment", "beta-web", "-n", namespace)
        assert not exists(cluster, "configmap", "beta-config", "-n", namespace)
        assert exists(cluster, "deployment", "alpha-web", "-n", namespace)
        assert exists(cluster, "application", "alpha", "-n", ctl.namespace)
        # The parent's health follows its remaining child once the pruned one is gone from its status.
        ctl.wait_app(
            "parent", lambda a: health_status(a) == "Healthy", "the parent Healthy after the prune", 30
        )
    finally:
        cluster.kubectl("label", "node", node, f"{gate}-", check=False)
        # The controller stops after the test: let the remaining child go with its namespace.
        for child in ("alpha", "beta"):
            cluster.kubectl(
                "patch",
                "application",
                child,
                "-n",
                ctl.namespace,
                "--type=merge",
                "-p",
                json.dumps({"metadata": {"finalizers": None}}),
                check=False,
            )


def _wait(check: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s waiting for {what}"
        time.sleep(0.2)
