"""Helpers of the webhook tests: a control-plane namespace seen through kubectl, and a server on it.

The webhook route caches ``argocd-secret``/``argocd-cm`` for a second in
production; :func:`start_server` turns the cache off (``ttl = 0``) so a
secret changed by a test applies to its very next request, without sleeping.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

from argosy.server.config import ServerConfig
from argosy.server.routes.webhook import webhook_state
from argosy.server.run import BackgroundServer
from support.cluster import ClusterHandle

REFRESH = "argocd.argoproj.io/refresh"
#: Spaces, both quotes, shell and comment characters, a backslash and non-ASCII: all must just work.
#: (No leading/trailing space: HTTP strips those from header values, so GitLab's token could not carry them.)
SPECIAL_SECRET = "s3cr3t \"dq\" 'sq' $HOME ${X} `cmd` #hash \\ ;&| é ü 日本 ✓"


@dataclass
class Plane:
    """A control-plane namespace as tests see it: kubectl helpers for apps, settings and secrets."""

    cluster: ClusterHandle
    namespace: str

    def kubectl(self, *args: str, stdin: str | None = None, check: bool = True) -> str:
        return self.cluster.kubectl(*args, stdin=stdin, check=check).stdout

    def apply_app(self, name: str, repo: str, revision: str = "HEAD", **spec: Any) -> None:
        app = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": self.namespace},
            "spec": {
                "project": "default",
                "source": {"repoURL": repo, "path": spec.pop("path", "."), "targetRevision": revision},
                "destination": {
                    "server": "https://kubernetes.default.svc",
                    "namespace": spec.pop("dest_namespace", self.namespace),
                },
                **spec,
            },
        }
        self.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(app))

    def app(self, name: str) -> dict[str, Any]:
        out = self.kubectl("get", "applications.argoproj.io", name, "-n", self.namespace, "-o", "json")
        return dict(json.loads(out))

    def refresh_annotation(self, name: str) -> str | None:
        annotations = (self.app(name).get("metadata") or {}).get("annotations") or {}
        value = annotations.get(REFRESH)
        return None if value is None else str(value)

    def refresh_annotations(self) -> dict[str, str | None]:
        """Every app's refresh annotation (None: not set), from one list."""
        out = self.kubectl("get", "applications.argoproj.io", "-n", self.namespace, "-o", "json")
        return {
            item["metadata"]["name"]: (item["metadata"].get("annotations") or {}).get(REFRESH)
            for item in json.loads(out)["items"]
        }

    def clear_refresh(self, *names: str) -> None:
        """Remove the refresh annotation of the apps, in one ``kubectl``."""
        if names:
            self.kubectl(
                "annotate",
                "applications.argoproj.io",
                *names,
                "-n",
                self.namespace,
                f"{REFRESH}-",
                "--overwrite",
            )

    def set_secret_data(self, data: dict[str, str | None]) -> None:
        """Merge keys into ``argocd-secret`` (None removes one); values are stored as their UTF-8 bytes."""
        import base64

        patch = {
            "data": {
                k: None if v is None else base64.b64encode(v.encode("utf-8")).decode("ascii")
                for k, v in data.items()
            }
        }
        self.kubectl(
            "patch",
            "secret",
            "argocd-secret",
            "-n",
            self.namespace,
            "--type",
            "merge",
            "-p",
            json.dumps(patch),
        )

    def set_cm(self, data: dict[str, str]) -> None:
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": self.namespace},
            "data": data,
        }
        self.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(cm))


def start_server(plane: Plane) -> BackgroundServer:
    config = ServerConfig(
        namespace=plane.namespace, kubeconfig=plane.cluster.kubeconfig, insecure=True, login_delay=(0.0, 0.0)
    )
    srv = BackgroundServer(config).start()
    webhook_state(srv.prepared.uvicorn_config.app).ttl = 0.0
    return srv
