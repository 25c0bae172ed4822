"""``/applications/{name}/logs`` reads real container logs through the real kube-apiserver.

The local cluster's kwok serves a ``ClusterLogs`` file for every Pod on its
nodes (:attr:`argosy.devcluster.cluster.LocalCluster.pod_logs_file`); the API
server proxies ``pods/log`` to kwok's kubelet port, as to a real kubelet. One
file backs every Pod, so each test appends lines with its own marker.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from support.api_server import SEED_POLICY, ControlPlane, application, assert_error, bearer
from support.cluster import ClusterHandle


def _append(cluster: ClusterHandle, *lines: str) -> list[str]:
    """Append lines in the CRI log format a kubelet writes; returns their timestamps."""
    stamps = []
    with cluster.cluster.pod_logs_file.open("a") as out:
        for line in lines:
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
            out.write(f"{stamp} stdout F {line}\n")
            stamps.append(stamp)
    return stamps


def _entries(resp: httpx.Response) -> list[dict[str, Any]]:
    assert resp.status_code == 200, resp.text
    return [json.loads(line)["result"] for line in resp.text.splitlines() if line.strip()]


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "main", "image": "nginx"}]},
        },
    },
}
STRANGER = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "stranger"},
    "spec": {"containers": [{"name": "main", "image": "nginx"}]},
}


@pytest.fixture(scope="module")
def app(cluster: ClusterHandle, control_plane: ControlPlane) -> Iterator[dict[str, str]]:
    """App ``logs-app`` managing Deployment ``web`` (whose Pod it may read); ``stranger`` is nobody's."""
    ns = f"logs-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", ns)
    for obj in (DEPLOYMENT, STRANGER):
        cluster.kubectl("apply", "-n", ns, "-f", "-", stdin=json.dumps(obj))
    control_plane.apply(
        application("logs-app", destination={"server": "https://kubernetes.default.svc", "namespace": ns})
    )
    web = {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": ns, "name": "web"}
    control_plane.patch_app("logs-app", {"status": {"resources": [web]}})
    deadline = time.monotonic() + 60
    pod = ""
    while time.monotonic() < deadline and not pod:
        out = cluster.kubectl("get", "pods", "-n", ns, "-l", "app=web", "-o", "json").stdout
        running = [p for p in json.loads(out)["items"] if (p.get("status") or {}).get("phase") == "Running"]
        pod = running[0]["metadata"]["name"] if running else ""
        time.sleep(0.3)
    assert pod, "the Deployment's Pod never ran"
    try:
        yield {"namespace": ns, "pod": pod}
    finally:
        cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def test_tail_lines_of_a_managed_deployments_pod(
    cluster: ClusterHandle, api: httpx.Client, admin: dict[str, str], app: dict[str, str]
) -> None:
    marker = uuid.uuid4().hex[:6]
    stamps = _append(cluster, f"{marker} one", f"{marker} two", f"{marker} three")
    query = {"kind": "Deployment", "group": "apps", "resourceName": "web", "tailLines": 2}
    entries = _entries(api.get("/api/v1/applications/logs-app/logs", params=query, headers=admin))
    assert [e["content"] for e in entries[:-1]] == [f"{marker} two", f"{marker} three"]
    assert {e["podName"] for e in entries[:-1]} == {app["pod"]}
    assert [e["timeStampStr"] for e in entries[:-1]] == stamps[1:]
    assert entries[-1]["last"] is True

    # sinceSeconds: a line stamped an hour ago is left out (kwok filters by the CRI timestamps).
    with cluster.cluster.pod_logs_file.open("a") as out:
        out.write(f"2000-01-01T00:00:00.000000000Z stdout F {marker} old\n")
    _append(cluster, f"{marker} new")
    query = {**query, "tailLines": 2, "sinceSeconds": 600}
    entries = _entries(api.get("/api/v1/applications/logs-app/logs", params=query, headers=admin))
    assert [e["content"] for e in entries[:-1]] == [f"{marker} new"]

    # The same Pod by name: Pod -> ReplicaSet -> Deployment reaches a managed resource.
    by_pod = {"podName": app["pod"], "tailLines": 1, "container": "main"}
    entries = _entries(api.get("/api/v1/applications/logs-app/logs", params=by_pod, headers=admin))
    assert [e["content"] for e in entries[:-1]] == [f"{marker} new"]


def test_pods_the_app_does_not_own_are_refused(
    api: httpx.Client, admin: dict[str, str], app: dict[str, str]
) -> None:
    resp = api.get("/api/v1/applications/logs-app/logs", params={"podName": "stranger"}, headers=admin)
    assert_error(resp, 404, 5, "pod 'stranger'", "is not a resource of application 'logs-app'")
    query = {"kind": "Deployment", "group": "apps", "resourceName": "other"}
    resp = api.get("/api/v1/applications/logs-app/logs", params=query, headers=admin)
    assert_error(resp, 404, 5, "Deployment 'other'", "logs-app")


def test_logs_need_the_logs_get_permission(
    api: httpx.Client,
    control_plane: ControlPlane,
    set_password: Callable[[str, str], None],
    login: Callable[[str, str], str],
    app: dict[str, str],
) -> None:
    set_password("michele", "michele-password")
    guest = bearer(login("michele", "michele-password"))
    query = {"podName": app["pod"], "tailLines": 1}
    resp = api.get("/api/v1/applications/logs-app/logs", params=query, headers=guest)
    assert_error(resp, 403, 7, "permission denied: logs, get, default/logs-app")
    assert api.get("/api/v1/applications/logs-app/logs", params=query).status_code == 401
    control_plane.set_policy(SEED_POLICY + "p, role:guest, logs, get, */*, allow\n")
    try:
        deadline = time.monotonic() + 10
        while (
            resp := api.get("/api/v1/applications/logs-app/logs", params=query, headers=guest)
        ).status_code == 403:
            assert time.monotonic() < deadline, resp.text
            time.sleep(0.2)
        assert len(_entries(resp)) == 2
    finally:
        control_plane.set_policy(SEED_POLICY)


def _log_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("pod-logs-")]


def test_follow_streams_new_lines_and_ends_when_the_client_goes_away(
    cluster: ClusterHandle, server: Any, admin: dict[str, str], app: dict[str, str]
) -> None:
    marker = uuid.uuid4().hex[:6]
    _append(cluster, f"{marker} before")
    seen: list[dict[str, Any]] = []
    query = {"podName": app["pod"], "follow": "true", "tailLines": 1}
    with (
        httpx.Client(base_url=server.url, timeout=30) as client,
        client.stream("GET", "/api/v1/applications/logs-app/logs", params=query, headers=admin) as resp,
    ):
        assert resp.status_code == 200
        lines = resp.iter_lines()
        seen.append(json.loads(next(lines))["result"])
        _append(cluster, f"{marker} after")
        seen.append(json.loads(next(lines))["result"])
        assert len(_log_threads()) == 1  # the server is reading the Pod's log for us
    assert [e["content"] for e in seen] == [f"{marker} before", f"{marker} after"]
    deadline = time.monotonic() + 10
    while _log_threads():  # the client left: the server closed its pods/log stream
        assert time.monotonic() < deadline, "the server kept following after the client disconnected"
        time.sleep(0.1)
