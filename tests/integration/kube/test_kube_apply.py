"""Apply operations on a real API server: SSA, dry runs with server defaults, precise
errors for bad manifests, kubectl client-side apply, replace, create, delete propagation."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest

from argosy.engine.keys import ResourceKey
from argosy.kube.apply import ClusterOps, Propagation
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError
from argosy.kube.kubectl import KubectlApplier
from argosy.kube.metrics import RequestCounts
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@pytest.fixture
def counts() -> RequestCounts:
    return RequestCounts()


@pytest.fixture
def client(cluster: ClusterHandle, counts: RequestCounts) -> Iterator[KubeClient]:
    c = KubeClient(in_cluster_config(cluster.kubeconfig), hook=counts)
    yield c
    c.close()


@pytest.fixture
def ops(client: KubeClient) -> ClusterOps:
    return ClusterOps(client, timeout=30.0)


def deployment(namespace: str, replicas: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def test_server_side_apply_then_dry_run_predicts_with_server_defaults(
    ops: ClusterOps, namespace: str, counts: RequestCounts
) -> None:
    applied = ops.server_side_apply(deployment(namespace))
    assert applied["metadata"]["uid"]
    managers = {m["manager"] for m in applied["metadata"]["managedFields"]}
    assert "argosy-controller" in managers

    changed = deployment(namespace, replicas=3)
    [result] = ops.dry_run_apply([changed])
    assert result.ok, result.message
    predicted = result.object
    assert predicted is not None
    assert predicted["spec"]["replicas"] == 3
    container = predicted["spec"]["template"]["spec"]["containers"][0]
    assert container["imagePullPolicy"] == "IfNotPresent"  # a server default
    assert container["terminationMessagePath"] == "/dev/termination-log"
    assert predicted["spec"]["strategy"]["type"] == "RollingUpdate"
    live = ops.get("apps/v1", "Deployment", namespace, "web")
    assert live is not None and live["spec"]["replicas"] == 1  # a dry run changes nothing
    assert counts.total(verb="apply", dry_run=True, resource_kind="Deployment", response_code=200) == 1
    assert counts.total(verb="apply", dry_run=False, response_code=201) == 1  # created


def test_dry_run_of_a_malformed_object_names_the_field_and_the_object(
    ops: ClusterOps, namespace: str
) -> None:
    bad = deployment(namespace)
    bad["spec"]["template"]["spec"]["containers"][0]["ports"] = [{"containerPort": 700000}]
    good = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ok", "namespace": namespace}}
    bad_result, good_result = ops.dry_run_apply([bad, good])
    assert good_result.ok and good_result.object is not None
    assert not bad_result.ok and isinstance(bad_result.error, KubeApiError)
    assert bad_result.error.status == 422
    assert "spec.template.spec.containers[0].ports[0].containerPort" in bad_result.message
    assert f"Deployment.apps {namespace}/web" in bad_result.message
    assert "fix the manifest in Git" in bad_result.message
    assert ops.get("apps/v1", "Deployment", namespace, "web") is None


def test_unknown_kind_and_missing_namespace_are_clear(ops: ClusterOps, namespace: str) -> None:
    widget = {
        "apiVersion": "nothing.argosy.test/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": namespace},
    }
    [result] = ops.dry_run_apply([widget])
    assert not result.ok and "does not serve Widget in nothing.argosy.test/v1" in result.message
    no_ns = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}
    with pytest.raises(KubeApiError, match=r"metadata\.namespace is not set"):
        ops.server_side_apply(no_ns)


def test_client_side_apply_sets_last_applied_and_merges_three_way(
    client: KubeClient, ops: ClusterOps, namespace: str, cluster: ClusterHandle
) -> None:
    kubectl = KubectlApplier(client)
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": namespace},
        "data": {"a": "1", "b": "2"},
    }
    [result] = kubectl.apply([cm])
    assert result.ok, result.message
    live = ops.get("v1", "ConfigMap", namespace, "cfg")
    assert live is not None
    assert json.loads(live["metadata"]["annotations"][LAST_APPLIED])["data"] == {"a": "1", "b": "2"}
    # Someone adds a key by hand; Git drops 'b': three-way merge removes b and keeps c.
    cluster.kubectl("patch", "configmap", "cfg", "-n", namespace, "-p", '{"data":{"c":"3"}}')
    again = copy.deepcopy(cm)
    del again["data"]["b"]
    [result] = kubectl.apply([again])
    assert result.ok, result.message
    live = ops.get("v1", "ConfigMap", namespace, "cfg")
    assert live is not None and live["data"] == {"a": "1", "c": "3"}


def test_client_side_apply_reports_each_bad_object(
    client: KubeClient, ops: ClusterOps, namespace: str
) -> None:
    good = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "good", "namespace": namespace}}
    bad = deployment(namespace)
    bad["spec"]["replicas"] = -1
    good_result, bad_result = KubectlApplier(client).apply([good, bad])
    assert good_result.ok
    assert not bad_result.ok and "spec.replicas" in bad_result.message
    assert bad_result.key == ResourceKey("apps", "Deployment", namespace, "web")
    assert ops.get("v1", "ConfigMap", namespace, "good") is not None


def test_replace_create_generate_name_and_force(ops: ClusterOps, namespace: str) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "r", "namespace": namespace},
        "data": {"x": "1"},
    }
    first = ops.replace(cm)  # absent: created
    second = ops.replace({**cm, "data": {"x": "2"}})
    assert second["data"] == {"x": "2"} and second["metadata"]["uid"] == first["metadata"]["uid"]
    forced = ops.replace({**cm, "data": {"x": "3"}}, force=True)
    assert forced["data"] == {"x": "3"} and forced["metadata"]["uid"] != first["metadata"]["uid"]
    hook = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"generateName": "hook-", "namespace": namespace},
    }
    created = ops.create(hook)
    assert created["metadata"]["name"].startswith("hook-") and len(created["metadata"]["name"]) > 5


def test_delete_with_foreground_propagation_waits_for_dependents(
    ops: ClusterOps, namespace: str, cluster: ClusterHandle
) -> None:
    parent = ops.server_side_apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "parent", "namespace": namespace}}
    )
    owner_ref = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "name": "parent",
        "uid": parent["metadata"]["uid"],
        "blockOwnerDeletion": True,
    }
    child = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "child",
            "namespace": namespace,
            "ownerReferences": [owner_ref],
            "finalizers": ["argosy.test/hold"],
        },
    }
    ops.server_side_apply(child)
    assert ops.delete("v1", "ConfigMap", namespace, "parent", propagation=Propagation.FOREGROUND)
    held = ops.get("v1", "ConfigMap", namespace, "parent")
    assert held is not None  # foreground: the owner waits for its dependents
    assert "foregroundDeletion" in held["metadata"]["finalizers"] and held["metadata"]["deletionTimestamp"]
    cluster.kubectl(
        "patch",
        "configmap",
        "child",
        "-n",
        namespace,
        "--type=json",
        "-p",
        '[{"op":"remove","path":"/metadata/finalizers"}]',
    )
    ops.wait_deleted("v1", "ConfigMap", namespace, "parent", timeout=30)
    assert ops.get("v1", "ConfigMap", namespace, "child") is None
    assert not ops.delete("v1", "ConfigMap", namespace, "parent")  # already gone


def test_delete_orphan_keeps_dependents(ops: ClusterOps, namespace: str) -> None:
    parent = ops.server_side_apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "p", "namespace": namespace}}
    )
    ref = {"apiVersion": "v1", "kind": "ConfigMap", "name": "p", "uid": parent["metadata"]["uid"]}
    ops.server_side_apply(
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": namespace, "ownerReferences": [ref]},
        }
    )
    ops.delete("v1", "ConfigMap", namespace, "p", propagation=Propagation.ORPHAN)
    ops.wait_deleted("v1", "ConfigMap", namespace, "p", timeout=30)
    child = ops.get("v1", "ConfigMap", namespace, "c")
    assert child is not None and not child["metadata"].get("ownerReferences")
