"""``/resource-tree`` on the real cluster: a managed Deployment's ReplicaSet and Pods appear with
``parentRefs``, and Service, Ingress and Pods carry ``networkingInfo`` (the Network view's edges);
its stream (``/stream/applications/{name}/resource-tree``) sends the Pods a scale-up adds on the
same connection, and refuses whom the GET route refuses."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from argosy.server.run import BackgroundServer
from support.api_server import ControlPlane, application, bearer

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


def _tree_events(resp: httpx.Response) -> Iterator[list[dict[str, Any]]]:
    """The trees a resource-tree stream sends, as they arrive."""
    assert resp.status_code == 200, resp.read()
    assert resp.headers["content-type"].startswith("text/event-stream")
    for line in resp.iter_lines():
        if line.startswith("data: "):
            yield list(json.loads(line[6:])["result"]["nodes"])


def _next_tree(
    events: Iterator[list[dict[str, Any]]], wanted: Callable[[list[dict[str, Any]]], bool], what: str
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    for nodes in events:
        if wanted(nodes):
            return nodes
        assert time.monotonic() < deadline, f"{what} never came; the last tree: {nodes}"
    raise AssertionError(f"the stream ended before {what}")


def _running_pods(nodes: list[dict[str, Any]]) -> set[str]:
    pods = (n for n in nodes if n["kind"] == "Pod")
    return {p["name"] for p in pods if (p.get("health") or {}).get("status") == "Healthy"}


def test_the_tree_stream_sends_the_pods_of_a_scale_up_on_the_same_connection(
    admin: dict[str, str], control_plane: ControlPlane, server: BackgroundServer
) -> None:
    name = f"live-{uuid.uuid4().hex[:6]}"
    ns = f"{control_plane.namespace}-{name}"
    kubectl = control_plane.cluster.kubectl
    kubectl("create", "namespace", ns)
    try:
        deploy = _objects(ns)[0]
        deploy["spec"]["replicas"] = 1
        kubectl("apply", "-f", "-", stdin=json.dumps(deploy))
        control_plane.apply(application(name))
        managed = {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": ns, "name": "web"}
        control_plane.patch_app(name, {"status": {"resources": [managed]}})
        with (
            httpx.Client(base_url=server.url, timeout=httpx.Timeout(10, read=30)) as client,
            client.stream("GET", f"/api/v1/stream/applications/{name}/resource-tree", headers=admin) as resp,
        ):
            events = _tree_events(resp)
            first = _next_tree(events, lambda t: len(_running_pods(t)) == 1, "the Deployment's running Pod")
            assert first[0]["kind"] == "Deployment" and first[0]["name"] == "web"
            kubectl("scale", "deployment", "web", "-n", ns, "--replicas=3")
            nodes = _next_tree(events, lambda t: len(_running_pods(t)) == 3, "the Pods of the scale-up")
        assert _running_pods(first) < _running_pods(nodes)
        (rs,) = [n for n in nodes if n["kind"] == "ReplicaSet"]
        assert rs["parentRefs"] == [{"group": "apps", "kind": "Deployment", "namespace": ns, "name": "web"}]
        owner = {"group": "apps", "kind": "ReplicaSet", "namespace": ns, "name": rs["name"]}
        assert all(n["parentRefs"] == [owner] for n in nodes if n["kind"] == "Pod"), nodes
    finally:
        kubectl("delete", "namespace", ns, "--wait=false", check=False)


def test_the_tree_stream_refuses_whom_the_get_route_refuses(
    api: httpx.Client,
    control_plane: ControlPlane,
    set_password: Callable[[str, str], None],
    login: Callable[[str, str], str],
) -> None:
    name = f"hidden-{uuid.uuid4().hex[:6]}"
    control_plane.apply(application(name))
    set_password("nobody", "nobody-password")
    nobody = bearer(login("nobody", "nobody-password"))
    for app in (name, "no-such-app"):  # a missing app is refused alike: names cannot be probed
        got = api.get(f"/api/v1/applications/{app}/resource-tree", headers=nobody)
        with api.stream("GET", f"/api/v1/stream/applications/{app}/resource-tree", headers=nobody) as resp:
            resp.read()
        assert resp.status_code == got.status_code == 403, resp.text
        assert resp.json() == got.json() and "permission denied" in resp.json()["message"]
