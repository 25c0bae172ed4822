"""What the live cache keeps of an object: lean, and no Secret value in clear."""

from __future__ import annotations

import base64
import json
from typing import Any

from argosy.engine.keys import ResourceKey
from argosy.kube.objects import lean


def _deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "labels": {"app.kubernetes.io/instance": "shop"},
            "managedFields": [
                {"manager": "argosy-controller", "operation": "Apply", "fieldsV1": {"f:spec": {}}},
                {"manager": "kube-controller-manager", "operation": "Update", "fieldsV1": {"f:status": {}}},
            ],
        },
        "spec": {"replicas": 2},
        "status": {"readyReplicas": 2},
    }


def test_lean_keeps_only_argosy_managed_fields_and_everything_else() -> None:
    obj = _deployment()
    out = lean(obj)
    assert [m["manager"] for m in out["metadata"]["managedFields"]] == ["argosy-controller"]
    assert out["spec"] == {"replicas": 2} and out["status"] == {"readyReplicas": 2}
    assert out["metadata"]["labels"] == {"app.kubernetes.io/instance": "shop"}
    assert len(obj["metadata"]["managedFields"]) == 2  # input untouched


def test_lean_drops_managed_fields_when_no_manager_is_kept_and_keeps_all_with_none() -> None:
    assert "managedFields" not in lean(_deployment(), frozenset())["metadata"]
    assert len(lean(_deployment(), None)["metadata"]["managedFields"]) == 2


def test_secret_values_are_hashed_everywhere() -> None:
    clear = "hunter2"
    encoded = base64.b64encode(clear.encode()).decode()
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "db",
            "namespace": "shop",
            "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": json.dumps(
                    {"apiVersion": "v1", "kind": "Secret", "stringData": {"password": clear}}
                )
            },
        },
        "data": {"password": encoded},
    }
    out = lean(secret)
    text = json.dumps(out)
    assert clear not in text and encoded not in text
    assert out["data"]["password"].startswith("sha256:")
    changed = {**secret, "data": {"password": base64.b64encode(b"other").decode()}}
    assert lean(changed)["data"]["password"] != out["data"]["password"]
    assert secret["data"]["password"] == encoded  # input untouched


def test_object_key() -> None:
    key = ResourceKey.of(_deployment())
    assert key == ResourceKey("apps", "Deployment", "shop", "web")
    assert str(key) == "Deployment.apps shop/web"
    assert str(ResourceKey("", "Namespace", "", "shop")) == "Namespace shop"
