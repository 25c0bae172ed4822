"""The local control plane behaves like a real cluster."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

import yaml

from argosy.devcluster.build import KUBERNETES_VERSION
from support.cluster import ClusterHandle


def _wait(check: Callable[[], bool], what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def _get(cluster: ClusterHandle, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)  # type: ignore[no-any-return]


def test_server_version_is_the_pinned_release(cluster: ClusterHandle) -> None:
    version = cluster.cluster.server_version()
    assert version == KUBERNETES_VERSION
    assert cluster.kubectl("version", "-o", "json").returncode == 0


def test_crd_and_custom_object_round_trip(cluster: ClusterHandle, namespace: str) -> None:
    group = f"g{uuid.uuid4().hex[:8]}.argosy.test"
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"widgets.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "properties": {"size": {"type": "integer"}, "color": {"type": "string"}},
                                }
                            },
                        }
                    },
                }
            ],
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(crd))
    cluster.kubectl("wait", "--for=condition=Established", f"crd/widgets.{group}", "--timeout=60s")
    widget = {
        "apiVersion": f"{group}/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": namespace},
        "spec": {"size": 3, "color": "teal", "dropped": "pruned by the structural schema"},
    }
    strict = cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(widget), check=False)
    assert strict.returncode != 0 and 'unknown field "spec.dropped"' in strict.stderr
    cluster.kubectl("apply", "--validate=false", "-f", "-", stdin=yaml.safe_dump(widget))
    stored = _get(cluster, f"widgets.{group}", "w1", "-n", namespace)
    # The API server applied the schema: known fields kept, unknown ones pruned.
    assert stored["spec"] == {"size": 3, "color": "teal"}
    bad = dict(widget, spec={"size": "three"})
    rejected = cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(bad), check=False)
    assert rejected.returncode != 0 and "spec.size" in rejected.stderr
    cluster.kubectl("delete", "crd", f"widgets.{group}", "--wait=false")


def _deployment(name: str, namespace: str, replicas: int) -> dict:  # type: ignore[type-arg]
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "app", "image": "registry.example/app:1.0"}]},
            },
        },
    }


def test_deployment_becomes_available_on_kwok_nodes(cluster: ClusterHandle, namespace: str) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(_deployment("web", namespace, 2)))

    def available() -> bool:
        status = _get(cluster, "deployment", "web", "-n", namespace).get("status", {})
        return bool(status.get("availableReplicas") == 2)

    _wait(available, "deployment web to have 2 available replicas")
    pods = _get(cluster, "pods", "-n", namespace)["items"]
    assert len(pods) == 2
    assert all(p["status"]["phase"] == "Running" for p in pods)
    assert all(p["spec"].get("nodeName", "").startswith("kwok-node-") for p in pods)
    # Admission ran: the ServiceAccount plugin set the account and mounted its token.
    assert all(p["spec"]["serviceAccountName"] == "default" for p in pods)

    # kubectl logs works: the API server proxies pods/log to kwok's kubelet port (HTTPS), which
    # serves the ClusterLogs file every container on the kwok nodes "prints".
    marker = uuid.uuid4().hex
    with cluster.cluster.pod_logs_file.open("a") as out:
        out.write(f"2026-01-02T03:04:05.000000000Z stdout F {marker}\n")
    name = pods[0]["metadata"]["name"]
    logs = cluster.kubectl("logs", name, "-n", namespace, "--tail=1", "--timestamps").stdout
    assert logs.strip() == f"2026-01-02T03:04:05.000000000Z {marker}"


def test_foreground_delete_collects_dependents_and_namespace_deletion_completes(
    cluster: ClusterHandle,
) -> None:
    ns = f"gc-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", ns)
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(_deployment("gc", ns, 2)))
    _wait(lambda: len(_get(cluster, "pods", "-n", ns)["items"]) == 2, "2 pods")
    assert len(_get(cluster, "replicasets", "-n", ns)["items"]) == 1

    cluster.kubectl("delete", "deployment", "gc", "-n", ns, "--cascade=foreground", "--timeout=90s")
    _wait(lambda: not _get(cluster, "replicasets", "-n", ns)["items"], "replicasets to be collected")
    _wait(lambda: not _get(cluster, "pods", "-n", ns)["items"], "pods to be collected")

    cluster.kubectl("delete", "namespace", ns, "--timeout=90s")
    gone = cluster.kubectl("get", "namespace", ns, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr


def test_two_clusters_are_independent(
    cluster: ClusterHandle, second_cluster: ClusterHandle, namespace: str
) -> None:
    assert cluster.server != second_cluster.server
    cluster.kubectl("create", "configmap", "only-here", "-n", namespace, "--from-literal=k=v")
    assert cluster.kubectl("get", "configmap", "only-here", "-n", namespace).returncode == 0
    there = second_cluster.kubectl("get", "configmap", "only-here", "-n", namespace, check=False)
    assert there.returncode != 0 and "NotFound" in there.stderr
    # Separate etcd stores: the test namespace itself exists only in the first cluster.
    assert second_cluster.kubectl("get", "namespace", namespace, check=False).returncode != 0
