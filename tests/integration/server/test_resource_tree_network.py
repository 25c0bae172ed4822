"""``/resource-tree`` on the real cluster: a managed Deployment's ReplicaSet and Pods appear with
``parentRefs``, and Service, Ingress and Pods carry ``networkingInfo`` (the Network view's edges);
its stream (``/stream/applications/{name}/resource-tree``) sends the Pods a scale-up adds on the
same connection, and refuses whom the GET route refuses. ``/resource`` and ``/events`` with
``resourceName`` read one object of that tree (a child Pod, a managed ConfigMap or Secret), and
nothing outside it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from argosy.server.run import BackgroundServer
from support.api_server import ControlPlane, application, assert_error, bearer

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


def _event(ns: str, name: str, involved: dict[str, str], reason: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": name, "namespace": ns},
        "involvedObject": {"namespace": ns, **involved},
        "reason": reason,
        "message": f"{reason} happened",
        "type": "Normal",
        "firstTimestamp": "2026-01-01T00:00:00Z",
        "lastTimestamp": "2026-01-01T00:00:00Z",
    }


def test_one_object_of_the_tree_answers_its_live_manifest_and_events_and_no_other_object_does(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    name = f"obj-{uuid.uuid4().hex[:6]}"
    ns = f"{control_plane.namespace}-{name}"
    kubectl = control_plane.cluster.kubectl
    kubectl("create", "namespace", ns)
    try:
        deploy = _objects(ns)[0]
        deploy["spec"]["replicas"] = 1
        config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": ns}}
        stray = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "stray", "namespace": ns}}
        secret = {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "creds", "namespace": ns},
            "stringData": {"password": "hunter2-secret-value"},
        }
        items = [deploy, config, stray, secret]
        kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
        control_plane.apply(application(name))
        managed = [
            {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": ns, "name": "web"},
            {"group": "", "version": "v1", "kind": "ConfigMap", "namespace": ns, "name": "cfg"},
            {"group": "", "version": "v1", "kind": "Secret", "namespace": ns, "name": "creds"},
        ]
        control_plane.patch_app(name, {"status": {"resources": managed}})
        deadline = time.monotonic() + 60
        while not (pods := [n for n in _tree(api, admin, name) if n["kind"] == "Pod"]):
            assert time.monotonic() < deadline, "the Deployment's Pod never appeared in the tree"
            time.sleep(0.5)
        pod = pods[0]
        events = [
            _event(ns, "pod-ev", {"kind": "Pod", "name": pod["name"], "uid": pod["uid"]}, "PodThing"),
            _event(ns, "cfg-ev", {"kind": "ConfigMap", "name": "cfg"}, "CfgThing"),
            _event(ns, "stray-ev", {"kind": "ConfigMap", "name": "stray"}, "StrayThing"),
        ]
        kubectl("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": events}))
        url = f"/api/v1/applications/{name}"

        def reasons(resource: str, uid: str = "") -> set[str]:
            query = {"resourceNamespace": ns, "resourceName": resource, "resourceUID": uid}
            resp = api.get(f"{url}/events", params=query, headers=admin)
            assert resp.status_code == 200, resp.text
            assert {e["involvedObject"]["name"] for e in resp.json()["items"]} == {resource}, resp.json()
            return {e["reason"] for e in resp.json()["items"]}

        assert "PodThing" in reasons(pod["name"], pod["uid"])
        assert reasons("cfg") == {"CfgThing"}
        query = {"resourceNamespace": ns, "resourceName": "stray"}
        assert_error(api.get(f"{url}/events", params=query, headers=admin), 404, 5, "'stray'", name)

        got = api.get(
            f"{url}/resource",
            params={"namespace": ns, "resourceName": pod["name"], "kind": "Pod", "version": "v1"},
            headers=admin,
        )
        assert got.status_code == 200, got.text
        live = json.loads(got.json()["manifest"])
        assert live["metadata"]["uid"] == pod["uid"]
        assert live["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
        secret_query = {"namespace": ns, "resourceName": "creds", "kind": "Secret"}
        got = api.get(f"{url}/resource", params=secret_query, headers=admin)
        assert got.status_code == 200, got.text
        assert json.loads(got.json()["manifest"])["data"] == {"password": "++++++++"}
        assert "hunter2" not in got.text and "aHVudGVyMi" not in got.text  # nor its base64
        stray_query = {"namespace": ns, "resourceName": "stray", "kind": "ConfigMap"}
        stray_resp = api.get(f"{url}/resource", params=stray_query, headers=admin)
        assert_error(stray_resp, 404, 5, "ConfigMap 'stray'", name)
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
        # so do the routes reading one object of the tree: no probing which objects exist
        one = {"namespace": "default", "resourceName": "kubernetes", "kind": "Service"}
        assert_error(api.get(f"/api/v1/applications/{app}/resource", params=one, headers=nobody), 403, 7)
        events = api.get(f"/api/v1/applications/{app}/events", params={"resourceName": "x"}, headers=nobody)
        assert_error(events, 403, 7, "permission denied")
