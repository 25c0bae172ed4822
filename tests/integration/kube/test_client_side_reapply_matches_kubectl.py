"""Re-applying a manifest the live object already carries as its last-applied configuration
(self-heal, the unchanged objects of a sync) gives, without a kubectl process, the object
``kubectl apply`` gives: drift in the manifest's fields undone, fields others added kept,
atomic lists replaced, merge lists merged by key — for built-in kinds (strategic merge) and
custom resources (JSON merge)."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from argosy.engine.sync.apply_mode import last_applied_unchanged
from argosy.kube.apply import ClusterOps
from argosy.kube.clients import KubeClient
from argosy.kube.kubectl import KubectlApplier
from support.cluster import ClusterHandle
from support.crds import WIDGET_CRD, wait_established


@pytest.fixture
def widget_group(cluster: ClusterHandle) -> Iterator[str]:
    group = f"r{uuid.uuid4().hex[:8]}.argosy.test"
    cluster.kubectl("apply", "-f", "-", stdin=WIDGET_CRD.format(group=group))
    wait_established(cluster, [f"widgets.{group}"])
    yield group
    cluster.kubectl("delete", "crd", f"widgets.{group}", "--wait=false", check=False)


def _manifests(namespace: str, suffix: str, group: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": f"web-{suffix}", "namespace": namespace, "labels": {"app": "web"}},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": "nginx:1.27",
                                "args": ["--one", "--two"],
                                "env": [{"name": "A", "value": "1"}],
                                "ports": [{"containerPort": 80.0}],
                            },
                            {"name": "side", "image": "busybox:1.36"},
                        ]
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"conf-{suffix}", "namespace": namespace},
            "data": {"a": "1", "b": "<&>"},
        },
        {
            "apiVersion": f"{group}/v1",
            "kind": "Widget",
            "metadata": {"name": f"w-{suffix}", "namespace": namespace},
            "spec": {"size": 1, "tags": ["x", "y"], "nested": {"keep": True}},
        },
    ]


def _drift(cluster: ClusterHandle, namespace: str, suffix: str, group: str) -> None:
    """The same hand edits on both copies: some undo the manifest, some add what it lacks."""
    deployment = {
        "metadata": {"labels": {"added-by": "someone"}},
        "spec": {
            "replicas": 3,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:drifted",
                            "args": ["--other"],
                            "env": [{"name": "A", "value": "changed"}, {"name": "EXTRA", "value": "x"}],
                        }
                    ]
                }
            },
        },
    }
    edits = [
        ("deployment", f"web-{suffix}", "strategic", deployment),
        ("configmap", f"conf-{suffix}", "merge", {"data": {"a": "2", "b": None, "c": "added"}}),
        (
            f"widgets.{group}",
            f"w-{suffix}",
            "merge",
            {"spec": {"size": 5, "tags": ["z"], "extra": "added", "nested": {"keep": False}}},
        ),
    ]
    for resource, name, kind, patch in edits:
        cluster.kubectl("patch", resource, name, "-n", namespace, "--type", kind, "-p", json.dumps(patch))


K, A = "viakubectl", "viaargosy"  # name suffixes: applied by kubectl / by Argosy natively
_VOLATILE = ("uid", "resourceVersion", "creationTimestamp", "managedFields", "generation", "name")


def _comparable(obj: dict[str, Any], suffix: str) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out.pop("status", None)
    meta = out["metadata"]
    for field in _VOLATILE:
        meta.pop(field, None)
    annotations = meta.get("annotations") or {}
    for key in ("deployment.kubernetes.io/revision",):
        annotations.pop(key, None)
    return json.loads(json.dumps(out).replace(suffix, "X"))


def test_native_reapply_gives_the_object_kubectl_apply_gives(
    cluster: ClusterHandle, client: KubeClient, namespace: str, widget_group: str
) -> None:
    ops, kubectl = ClusterOps(client, timeout=30.0), KubectlApplier(client)
    for suffix in (K, A):
        results = kubectl.apply(_manifests(namespace, suffix, widget_group))
        assert all(r.ok for r in results), [r.message for r in results]
        _drift(cluster, namespace, suffix, widget_group)

    by_kubectl = kubectl.apply(_manifests(namespace, K, widget_group))
    assert all(r.ok for r in by_kubectl), [r.message for r in by_kubectl]
    for manifest, theirs in zip(_manifests(namespace, A, widget_group), by_kubectl, strict=True):
        meta = manifest["metadata"]
        live = ops.get(manifest["apiVersion"], manifest["kind"], meta["namespace"], meta["name"])
        assert live is not None and last_applied_unchanged(manifest, live), meta["name"]
        ours = ops.reapply_client_side(copy.deepcopy(manifest))
        assert theirs.object is not None
        assert _comparable(ours, A) == _comparable(theirs.object, K), meta["name"]

    # What the comparison above shows, spelled out for the Deployment and the custom resource.
    web = ops.get("apps/v1", "Deployment", namespace, f"web-{A}")
    assert web is not None
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert web["spec"]["replicas"] == 1 and web["metadata"]["labels"]["added-by"] == "someone"
    assert container["image"] == "nginx:1.27" and container["args"] == ["--one", "--two"]
    assert container["env"] == [{"name": "A", "value": "1"}, {"name": "EXTRA", "value": "x"}]
    widget = ops.get(f"{widget_group}/v1", "Widget", namespace, f"w-{A}")
    assert widget is not None
    assert widget["spec"] == {"size": 1, "tags": ["x", "y"], "nested": {"keep": True}, "extra": "added"}


def test_a_changed_manifest_is_not_reapplied_natively(client: KubeClient, namespace: str) -> None:
    # The shortcut holds only while live's last-applied configuration is the manifest: a manifest
    # that dropped a field needs kubectl's three-way merge to delete it.
    kubectl = KubectlApplier(client)
    manifest = _manifests(namespace, "c", "unused.argosy.test")[1]
    assert kubectl.apply([copy.deepcopy(manifest)])[0].ok
    live = ClusterOps(client, timeout=30.0).get("v1", "ConfigMap", namespace, "conf-c")
    assert live is not None and last_applied_unchanged(manifest, live)
    del manifest["data"]["b"]
    assert not last_applied_unchanged(manifest, live)
