"""A new object created by Argosy (no kubectl process) is what ``kubectl apply`` creates:
the same last-applied annotation byte for byte, and a later kubectl apply merges the same way."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from argosy.kube.apply import ClusterOps
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError
from argosy.kube.kubectl import KubectlApplier

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def _objects(namespace: str, suffix: str) -> list[dict[str, Any]]:
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": f"plain-{suffix}", "namespace": namespace},
            "data": {"html": "<b>&</b>", "unicode": "café \u2028 ünïcode", "n": "1"},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": f"annotated-{suffix}",
                "namespace": namespace,
                "labels": {"app.kubernetes.io/instance": "x"},
                "annotations": {"argocd.argoproj.io/sync-wave": "-1"},
            },
            "data": {},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": f"web-{suffix}", "namespace": namespace},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": "nginx:1.27",
                                "resources": {"limits": {"cpu": 0.5, "memory": "64Mi"}},
                                "ports": [{"containerPort": 80.0}],
                            }
                        ]
                    },
                },
            },
        },
    ]


def test_native_create_writes_the_annotation_kubectl_writes(client: KubeClient, namespace: str) -> None:
    ops, kubectl = ClusterOps(client, timeout=30.0), KubectlApplier(client)
    by_kubectl = _objects(namespace, "k")
    results = kubectl.apply(copy.deepcopy(by_kubectl))
    assert all(r.ok for r in results), [r.message for r in results]
    for theirs, ours in zip(by_kubectl, _objects(namespace, "a"), strict=True):
        created = ops.create_client_side(copy.deepcopy(ours))
        live_theirs = ops.get(theirs["apiVersion"], theirs["kind"], namespace, theirs["metadata"]["name"])
        assert live_theirs is not None
        expected = live_theirs["metadata"]["annotations"][LAST_APPLIED].replace("-k", "-a")
        assert created["metadata"]["annotations"][LAST_APPLIED] == expected
        managers = {m["manager"] for m in created["metadata"].get("managedFields") or []}
        assert managers == {"argosy-controller"}

    # A later kubectl apply removing a field works from our annotation as from its own.
    for suffix in ("k", "a"):
        changed = _objects(namespace, suffix)[0]
        del changed["data"]["n"]
        assert kubectl.apply([changed])[0].ok
        live = ops.get("v1", "ConfigMap", namespace, f"plain-{suffix}")
        assert live is not None and "n" not in live["data"], suffix


def test_native_create_refuses_unknown_fields_like_kubectl_validate(
    client: KubeClient, namespace: str
) -> None:
    ops = ClusterOps(client, timeout=30.0)
    bad = _objects(namespace, "bad")[0]
    bad["spec"] = {"nope": 1}
    with pytest.raises(KubeApiError) as err:
        ops.create_client_side(copy.deepcopy(bad))
    assert "spec" in str(err.value)
    ops.create_client_side(bad, validate=False)  # Validate=false: the unknown field is dropped
    with pytest.raises(KubeApiError) as exists:
        ops.create_client_side(bad, validate=False)
    assert exists.value.conflict
