"""Plain helpers of the server API tests (fixtures live in conftest.py)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

import httpx

from argosy.server.auth.lockout import LoginThrottle
from argosy.server.config import ServerConfig
from argosy.server.run import BackgroundServer

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
