"""A real Argosy API server on loopback for tests: helpers, and module-scoped fixtures.

Each test module gets its own control-plane namespace (so modules stay
independent) with the CRDs, ``argocd-cm`` accounts, the seed's
``argocd-rbac-cm`` and a ``default`` AppProject, and its own server started
in a thread on a free port. A ``conftest.py`` imports the fixtures it wants
(``control_plane``, ``server``, ``api``, ``admin_password``, ``login``,
``admin``, ``set_password``).
"""

from __future__ import annotations

import base64
import http.cookiejar
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from argosy.server.auth.lockout import LoginThrottle
from argosy.server.config import ServerConfig
from argosy.server.run import BackgroundServer
from support.crds import install_crds

SEED_POLICY = "p, role:guest, applications, get, default/*, allow\ng, michele, role:guest\n"
PASSWORD = "s3cret-Passw0rd"


@dataclass
class ControlPlane:
    cluster: Any
    namespace: str

    def apply(self, obj: dict[str, Any]) -> None:
        obj.setdefault("metadata", {}).setdefault("namespace", self.namespace)
        self.cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=json.dumps(obj))

    def get(self, kind: str, name: str) -> dict[str, Any]:
        out = self.cluster.kubectl("get", kind, name, "-n", self.namespace, "-o", "json").stdout
        return dict(json.loads(out))

    def secret_value(self, name: str, key: str) -> str:
        data = self.get("secret", name).get("data") or {}
        return base64.b64decode(data[key]).decode()

    def patch_app(self, name: str, patch: Any, patch_type: str = "merge") -> None:
        """Write an Application as the controller would (status, operation), bypassing the API."""
        self.cluster.kubectl(
            "patch", "applications.argoproj.io", name, "-n", self.namespace,
            "--type", patch_type, "-p", json.dumps(patch),
        )  # fmt: skip

    def set_policy(self, csv: str) -> None:
        self.apply(configmap("argocd-rbac-cm", {"policy.csv": csv}))

    def set_cm(self, data: dict[str, str]) -> None:
        self.apply(configmap("argocd-cm", data))


def configmap(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def application(
    name: str,
    project: str = "default",
    repo: str = "https://github.com/argoproj/argocd-example-apps.git",
    **spec_extra: Any,
) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name},
        "spec": {
            "project": project,
            "source": {"repoURL": repo, "path": "guestbook", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook"},
            **spec_extra,
        },
    }


def project(name: str, **spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sourceRepos": ["*"],
        "destinations": [{"server": "*", "namespace": "*"}],
    }
    base.update(spec)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name},
        "spec": base,
    }


ACCOUNTS = {
    "accounts.michele": "login",
    "accounts.alice": "apiKey, login",
    "accounts.bot": "apiKey",
    "accounts.nobody": "login",
    "accounts.tcadmin": "login",
    "accounts.locked": "login",
    "accounts.pwchange": "login",
    "accounts.disabled": "login",
    "accounts.disabled.enabled": "false",
}


def start_server(cp: ControlPlane, *, insecure: bool | None = True, **kw: Any) -> BackgroundServer:
    config = ServerConfig(
        namespace=cp.namespace,
        kubeconfig=cp.cluster.kubeconfig,
        insecure=insecure,
        login_delay=(0.0, 0.0),
        throttle=kw.pop("throttle", LoginThrottle(max_failures=5, window_seconds=300)),
        **kw,
    )
    return BackgroundServer(config).start()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(resp: httpx.Response, status: int, code: int, *fragments: str) -> None:
    """The grpc-gateway error shape, with words that tell the user what is wrong."""
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert set(body) >= {"error", "code", "message"}, body
    assert body["code"] == code, body
    for fragment in fragments:
        assert fragment in body["message"], body


@contextmanager
def server_clock(server: BackgroundServer, at: float) -> Iterator[None]:
    """Stop the server's session clock at ``at`` (epoch seconds) for the block, then restore it.

    Tokens are dated and judged by this clock, so expiry tests need no sleep.
    """
    sessions = server.ctx.sessions
    real = sessions.clock
    sessions.clock = lambda: at
    try:
        yield
    finally:
        sessions.clock = real


# -- fixtures ------------------------------------------------------------------------------------


@contextmanager
def control_plane_namespace(cluster: Any) -> Iterator[ControlPlane]:
    """A fresh control-plane namespace: CRDs, the test accounts, the seed policy, ``default``."""
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


@contextmanager
def running_server(cp: ControlPlane) -> Iterator[BackgroundServer]:
    srv = start_server(cp)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def control_plane(cluster: Any) -> Iterator[ControlPlane]:
    with control_plane_namespace(cluster) as cp:
        yield cp


@pytest.fixture(scope="module")
def server(control_plane: ControlPlane) -> Iterator[BackgroundServer]:
    with running_server(control_plane) as srv:
        yield srv


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
