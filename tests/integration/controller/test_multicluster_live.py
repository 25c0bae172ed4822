"""Two real clusters: a cluster Secret destination, and an unreachable cluster."""

from __future__ import annotations

import json

import yaml

from support.cluster import ClusterHandle, cluster_secret
from support.controller import RunningController, sync_status
from support.gitrepo import GitRepo


def test_second_cluster_destination_and_unreachable_cluster(
    cluster: ClusterHandle,
    second_cluster: ClusterHandle,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
) -> None:
    target_ns = f"remote-{git_repo.bare.parent.name[-6:]}".lower().replace("_", "-")
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "far-away"}, "data": {"k": "v"}}
    git_repo.commit({"app/cm.yaml": yaml.safe_dump(cm)})
    ctl = controller_factory().start()
    cluster.kubectl(
        "apply", "-f", "-", stdin=yaml.safe_dump(cluster_secret(ctl.namespace, second_cluster, "east"))
    )
    ctl.apply_app(
        "remote",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
            "destination": {"name": "east", "namespace": target_ns},
            "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]},
        },
    )
    ctl.wait_app("remote", lambda a: sync_status(a) == "Synced", "synced to the second cluster", 90)
    assert second_cluster.kubectl("get", "configmap", "far-away", "-n", target_ns).returncode == 0
    assert cluster.kubectl("get", "configmap", "far-away", "-n", target_ns, check=False).returncode != 0

    second_cluster.cluster.stop_component("kube-apiserver")
    try:
        app = ctl.wait_app("remote", lambda a: sync_status(a) == "Unknown", "Unknown while unreachable", 90)
        messages = [c["message"] for c in app["status"]["conditions"] if c["type"] == "ComparisonError"]
        assert messages and "east" in messages[0]
        assert [r["name"] for r in app["status"]["resources"]] == ["far-away"], "resources must be kept"
    finally:
        second_cluster.cluster.start_component("kube-apiserver")
    ctl.wait_app("remote", lambda a: sync_status(a) == "Synced", "recovered after the cluster came back", 120)
    assert second_cluster.kubectl("get", "configmap", "far-away", "-n", target_ns).returncode == 0


def test_never_reachable_cluster_is_reported_quickly(
    cluster: ClusterHandle, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    from argosy.devcluster.ports import free_ports

    git_repo.commit(
        {"app/cm.yaml": yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})}
    )
    ctl = controller_factory().start()
    [closed] = free_ports(1)  # nothing listens there
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "cluster-nowhere",
            "namespace": ctl.namespace,
            "labels": {"argocd.argoproj.io/secret-type": "cluster"},
        },
        "stringData": {
            "name": "nowhere",
            "server": f"https://127.0.0.1:{closed}",
            "config": json.dumps({"bearerToken": "t", "tlsClientConfig": {"insecure": True}}),
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(secret))
    ctl.apply_app(
        "lost",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
            "destination": {"name": "nowhere", "namespace": "default"},
        },
    )
    # Well before the 30 s cache-load timeout: an unreachable cluster does not hold the workers.
    app = ctl.wait_app("lost", lambda a: sync_status(a) == "Unknown", "Unknown", timeout=15)
    messages = [c["message"] for c in app["status"]["conditions"] if c["type"] == "ComparisonError"]
    assert messages and "nowhere" in messages[0]
