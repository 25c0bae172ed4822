"""An in-process ApplicationSet controller in a namespace of its own, as the appset tests drive it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from argosy.appset.controller import AppSetController, AppSetSettings
from argosy.controller.bootstrap import bootstrap
from argosy.kube.clients import KubeClient
from argosy.repo import RepoService
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle

Obj = dict[str, Any]


class Env:
    def __init__(self, cluster: ClusterHandle, repo_root: Path) -> None:
        self.cluster = cluster
        self.namespace = f"argocd-as-{uuid.uuid4().hex[:6]}"
        self.client = KubeClient(in_cluster_config(cluster.kubeconfig))
        bootstrap(self.client, self.namespace)
        settings = AppSetSettings(namespace=self.namespace)
        self.controller = AppSetController(self.client, settings, repo=RepoService(root=repo_root))

    def apply(self, obj: Obj) -> None:
        obj.setdefault("metadata", {})["namespace"] = self.namespace
        self.cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(obj))

    def get(self, kind: str, name: str) -> Obj | None:
        out = self.cluster.kubectl("get", kind, name, "-n", self.namespace, "-o", "json", check=False)
        return yaml.safe_load(out.stdout) if out.returncode == 0 else None

    def apps(self) -> dict[str, Obj]:
        out = self.cluster.kubectl("get", "applications", "-n", self.namespace, "-o", "json").stdout
        return {a["metadata"]["name"]: a for a in yaml.safe_load(out)["items"]}

    def wait(self, check: Callable[[], Any], what: str, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = check()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}")
