"""``/resource-tree`` on the real cluster: a managed Deployment's ReplicaSet and Pods appear with
``parentRefs``, and Service, Ingress and Pods carry ``networkingInfo`` (the Network view's edges)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from support.api_server import ControlPlane, application

LABELS = {"app": "net-web"}


def _objects(ns: str) -> list[dict[str, Any]]:
    deploy = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": LABELS},
            "template": {
                "metadata": {"labels": LABELS},
                "spec": {"containers": [{"name": "w", "image": "nginx"}]},
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {"selector": LABELS, "ports": [{"port": 80}]},
    }
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    ingress = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {
            "rules": [
                {
                    "host": "shop.example.com",
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
                }
            ]
        },
    }
    return [deploy, service, ingress]


def _tree(api: httpx.Client, admin: dict[str, str], name: str) -> list[dict[str, Any]]:
    resp = api.get(f"/api/v1/applications/{name}/resource-tree", headers=admin)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["nodes"])


def test_the_tree_carries_children_and_networking_info(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    name = f"net-{uuid.uuid4().hex[:6]}"
    ns = f"{control_plane.namespace}-{name}"
    kubectl = control_plane.cluster.kubectl
    kubectl("create", "namespace", ns)
    try:
        kubectl(
            "apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": _objects(ns)})
        )
        control_plane.apply(application(name))
        managed = [
            {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": ns, "name": "web"},
            {"group": "", "version": "v1", "kind": "Service", "namespace": ns, "name": "web"},
            {
                "group": "networking.k8s.io",
                "version": "v1",
                "kind": "Ingress",
                "namespace": ns,
                "name": "web",
            },
        ]
        control_plane.patch_app(name, {"status": {"resources": managed}})
        deadline = time.monotonic() + 60
        nodes = _tree(api, admin, name)
        while sum(n["kind"] == "Pod" for n in nodes) < 2:
            assert time.monotonic() < deadline, f"the Deployment's Pods never appeared in the tree: {nodes}"
            time.sleep(0.5)
            nodes = _tree(api, admin, name)
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for node in nodes:
            by_kind.setdefault(node["kind"], []).append(node)
        assert [n["kind"] for n in nodes[:3]] == ["Deployment", "Service", "Ingress"]
        assert by_kind["Service"][0]["networkingInfo"] == {"targetLabels": LABELS}
        ingress = by_kind["Ingress"][0]["networkingInfo"]
        assert ingress["targetRefs"] == [{"group": "", "kind": "Service", "namespace": ns, "name": "web"}]
        assert ingress["externalURLs"] == ["http://shop.example.com/"]
        (rs,) = by_kind["ReplicaSet"]
        assert rs["parentRefs"] == [{"group": "apps", "kind": "Deployment", "namespace": ns, "name": "web"}]
        for pod in by_kind["Pod"]:
            assert pod["parentRefs"][0]["name"] == rs["name"] and pod["parentRefs"][0]["kind"] == "ReplicaSet"
            assert pod["networkingInfo"]["labels"]["app"] == "net-web"
            assert pod["health"]["status"] in {"Progressing", "Healthy"}
        # a Pod of the namespace that no managed object owns is not the app's
        stray = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "stray", "namespace": ns, "labels": LABELS},
        }
        stray["spec"] = {"containers": [{"name": "s", "image": "nginx"}]}
        kubectl("apply", "-f", "-", stdin=json.dumps(stray))
        assert "stray" not in {n["name"] for n in _tree(api, admin, name)}
    finally:
        kubectl("delete", "namespace", ns, "--wait=false", check=False)
