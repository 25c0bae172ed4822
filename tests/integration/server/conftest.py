"""A real Argosy API server on loopback, backed by the session's local cluster.

Each test module gets its own control-plane namespace (so modules stay
independent) with the CRDs, ``argocd-cm`` accounts, the seed's
``argocd-rbac-cm`` and a ``default`` AppProject, and its own server started
in a thread on a free port.
"""

from __future__ import annotations

import http.cookiejar
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from server_support import ACCOUNTS, SEED_POLICY, ControlPlane, bearer, project, start_server

from argosy.server.run import BackgroundServer
from support.crds import install_crds


@pytest.fixture(scope="module")
def control_plane(cluster: Any) -> Iterator[ControlPlane]:
    install_crds(cluster)
    ns = f"argosy-srv-{uuid.uuid4().hex[:8]}"
    cluster.kubectl("create", "namespace", ns)
    cp = ControlPlane(cluster, ns)
    cp.set_cm(dict(ACCOUNTS))
    cp.set_policy(SEED_POLICY)
    cp.apply(project("default", clusterResourceWhitelist=[{"group": "*", "kind": "*"}]))
    try:
        yield cp
    finally:
        cluster.kubectl("delete", "namespace", ns, "--wait=false", "--ignore-not-found", check=False)


@pytest.fixture(scope="module")
def server(control_plane: ControlPlane) -> Iterator[BackgroundServer]:
    srv = start_server(control_plane)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def api(server: BackgroundServer) -> Iterator[httpx.Client]:
    # A client that keeps no cookies: the login cookie must not authenticate later "anonymous" calls.
    jar = http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    with httpx.Client(base_url=server.url, timeout=30, cookies=jar) as client:
        yield client


@pytest.fixture(scope="module")
def admin_password(control_plane: ControlPlane, server: BackgroundServer) -> str:
    return control_plane.secret_value("argocd-initial-admin-secret", "password")


@pytest.fixture(scope="module")
def login(api: httpx.Client) -> Callable[[str, str], str]:
    def do(username: str, password: str) -> str:
        resp = api.post("/api/v1/session", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        return str(resp.json()["token"])

    return do


@pytest.fixture(scope="module")
def admin(login: Callable[[str, str], str], admin_password: str) -> dict[str, str]:
    return bearer(login("admin", admin_password))


@pytest.fixture(scope="module")
def set_password(api: httpx.Client, admin: dict[str, str], admin_password: str) -> Callable[[str, str], None]:
    """The admin sets another account's password (proving the admin's own current password)."""

    def do(name: str, password: str) -> None:
        resp = api.put(
            "/api/v1/account/password",
            headers=admin,
            json={"name": name, "currentPassword": admin_password, "newPassword": password},
        )
        assert resp.status_code == 200, resp.text

    return do
