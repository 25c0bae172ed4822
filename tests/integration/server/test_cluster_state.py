"""``/api/v1/clusters`` probes each cluster: version and Successful, or Failed with the reason; PUT renames.

The reachable cluster is the local one (the in-cluster destination); the
unreachable one is a cluster Secret pointing at a loopback port nothing
listens on, so its probe fails at once with "connection refused".
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from support.api_server import PASSWORD, ControlPlane, application, assert_error, bearer

IN_CLUSTER = "https://kubernetes.default.svc"


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def dead_server(control_plane: ControlPlane) -> Iterator[str]:
    server = f"https://127.0.0.1:{_closed_port()}"
    config = {"bearerToken": "not-a-real-token", "tlsClientConfig": {"insecure": True}}
    control_plane.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "dead-cluster", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
            "stringData": {"server": server, "name": "dead", "config": json.dumps(config)},
        }
    )
    yield server


def _clusters(api: httpx.Client, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    resp = api.get("/api/v1/clusters", headers=headers)
    assert resp.status_code == 200, resp.text
    return {c["server"]: c for c in resp.json()["items"]}


def test_list_reports_version_and_connection_state(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane, dead_server: str
) -> None:
    dead_app = application("on-dead-cluster")
    dead_app["spec"]["destination"] = {"name": "dead", "namespace": "x"}
    control_plane.apply(dead_app)
    clusters = _clusters(api, admin)

    local = clusters[IN_CLUSTER]
    assert local["connectionState"]["status"] == "Successful", local
    assert re.match(r"^v?\d+\.\d+", local["serverVersion"]), local
    assert local["info"]["serverVersion"] == local["serverVersion"]
    assert local["info"]["connectionState"]["status"] == "Successful"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", local["connectionState"]["attemptedAt"])

    dead = clusters[dead_server]
    assert dead["name"] == "dead" and dead["serverVersion"] == ""
    assert dead["connectionState"]["status"] == "Failed", dead
    assert dead["connectionState"]["message"], dead
    assert dead["info"]["applicationsCount"] == 1
    assert "not-a-real-token" not in json.dumps(clusters)

    got = api.get(f"/api/v1/clusters/{quote(dead_server, safe='')}", headers=admin)
    assert got.status_code == 200, got.text
    assert got.json()["connectionState"]["status"] == "Failed"
    by_name = api.get("/api/v1/clusters/in-cluster", params={"id.type": "name"}, headers=admin)
    assert by_name.status_code == 200, by_name.text
    assert by_name.json()["connectionState"]["status"] == "Successful"


def test_put_renames_and_relabels_through_the_cluster_secret(
    api: httpx.Client,
    admin: dict[str, str],
    control_plane: ControlPlane,
    dead_server: str,
    login: Callable[[str, str], str],
    set_password: Callable[[str, str], None],
) -> None:
    path = f"/api/v1/clusters/{quote(IN_CLUSTER, safe='')}"
    current = api.get(path, headers=admin).json()
    renamed = api.put(
        path,
        params=[("updatedFields", "name")],
        json={**current, "name": "local-renamed", "labels": {"ignored": "yes"}},
        headers=admin,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "local-renamed"
    assert "ignored" not in renamed.json()["labels"]  # not in updatedFields
    assert renamed.json()["connectionState"]["status"] == "Successful"
    assert _clusters(api, admin)[IN_CLUSTER]["name"] == "local-renamed"

    relabel = api.put(
        "/api/v1/clusters/local-renamed",
        params=[("id.type", "name"), ("updatedFields", "labels")],
        json={"server": IN_CLUSTER, "labels": {"env": "test"}},
        headers=admin,
    )
    assert relabel.status_code == 200, relabel.text
    assert relabel.json()["labels"]["env"] == "test" and relabel.json()["name"] == "local-renamed"
    secrets = control_plane.cluster.kubectl(
        "get", "secrets", "-n", control_plane.namespace, "-l", "env=test", "-o", "json"
    ).stdout
    stored = [s for s in json.loads(secrets)["items"] if s["metadata"]["labels"].get("env") == "test"]
    assert len(stored) == 1 and stored[0]["metadata"]["labels"]["argocd.argoproj.io/secret-type"] == "cluster"

    unreachable = api.put(
        f"/api/v1/clusters/{quote(dead_server, safe='')}",
        params=[("updatedFields", "name")],
        json={"server": dead_server, "name": "zombie"},
        headers=admin,
    )
    assert_error(unreachable, 503, 14, "does not answer", "nothing was changed")
    assert _clusters(api, admin)[dead_server]["name"] == "dead"

    config_change = api.put(path, params=[("updatedFields", "config")], json={"config": {}}, headers=admin)
    assert_error(config_change, 400, 3, "cluster add --upsert")

    set_password("michele", PASSWORD)
    guest = bearer(login("michele", PASSWORD))
    denied = api.put(path, params=[("updatedFields", "name")], json={"name": "mine"}, headers=guest)
    assert_error(denied, 403, 7, "clusters, update")
