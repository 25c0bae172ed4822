"""An in-process Argosy controller against a test cluster, in its own control-plane namespace."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from argosy.controller.bootstrap import bootstrap
from argosy.controller.manager import Controller
from argosy.kube.clients import KubeClient
from argosy.repo import RepoService
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle

Obj = dict[str, Any]


class RunningController:
    """Start with :meth:`start`; apps live in ``self.namespace``; stop with :meth:`stop`."""

    def __init__(self, cluster: ClusterHandle, repo_root: Path, namespace: str | None = None) -> None:
        self.cluster = cluster
        self.namespace = namespace or f"argocd-{uuid.uuid4().hex[:6]}"
        self.in_cluster = in_cluster_config(cluster.kubeconfig)
        self.client = KubeClient(self.in_cluster)
        self.repo = RepoService(root=repo_root)
        self.controller: Controller | None = None

    def start(self, argocd_cm: dict[str, str] | None = None, **kwargs: Any) -> RunningController:
        bootstrap(self.client, self.namespace)
        # Each test controller is its own installation: objects left in the shared test
        # cluster by another test's app of the same name are never adopted (or pruned).
        self.set_argocd_cm({"installationID": self.namespace, **(argocd_cm or {})})
        self.controller = Controller(
            self.client, self.repo, namespace=self.namespace, in_cluster=self.in_cluster, **kwargs
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
        self.cluster.kubectl("delete", "namespace", self.namespace, "--wait=false", check=False)

    def set_argocd_cm(self, data: dict[str, str]) -> None:
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": self.namespace},
            "data": data,
        }
        self.cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(cm))

    def apply_app(self, name: str, spec: Obj, **meta: Any) -> None:
        app = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": self.namespace, **meta},
            "spec": spec,
        }
        self.cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(app))

    def request_refresh(self, *names: str) -> None:
        """Set ``argocd.argoproj.io/refresh=normal`` on the Applications: one ``kubectl`` per 100,
        four at a time (``kubectl annotate`` reads and patches each app in turn: 1,000 apps on a
        busy API server outlast the 120 s a kubectl call may take)."""

        def annotate(chunk: tuple[str, ...]) -> None:
            self.cluster.kubectl(
                "annotate",
                "application",
                *chunk,
                "-n",
                self.namespace,
                "argocd.argoproj.io/refresh=normal",
                "--overwrite",
            )

        chunks = [names[i : i + 100] for i in range(0, len(names), 100)]
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(annotate, chunks))

    def refresh(self, name: str, *, wait: bool = True) -> Obj | None:
        """Set ``argocd.argoproj.io/refresh=normal``; with ``wait``, return the app once the
        controller has handled it (it removes the annotation)."""
        self.request_refresh(name)
        if not wait:
            return None
        return self.wait_app(
            name,
            lambda a: "argocd.argoproj.io/refresh" not in (a["metadata"].get("annotations") or {}),
            "refresh handled",
        )

    def app(self, name: str) -> Obj:
        out = self.cluster.kubectl("get", "application", name, "-n", self.namespace, "-o", "json").stdout
        return yaml.safe_load(out)  # type: ignore[no-any-return]

    def wait_app(self, name: str, check: Callable[[Obj], bool], what: str, timeout: float = 180.0) -> Obj:
        deadline = time.monotonic() + timeout
        last: Obj = {}
        while time.monotonic() < deadline:
            last = self.app(name)
            try:
                if check(last):
                    return last
            except (AssertionError, KeyError):
                pass  # status not written yet
            time.sleep(0.1)
        raise AssertionError(
            f"timed out after {timeout:.0f}s waiting for app {name}: {what}; status: {last.get('status')}"
        )


def sync_status(app: Obj) -> str:
    return str(((app.get("status") or {}).get("sync") or {}).get("status") or "")


def health_status(app: Obj) -> str:
    return str(((app.get("status") or {}).get("health") or {}).get("status") or "")


def operation_state(app: Obj) -> Obj:
    return dict((app.get("status") or {}).get("operationState") or {})


def operation_phase(app: Obj) -> str:
    return str(operation_state(app).get("phase") or "")


def resource(app: Obj, kind: str, name: str) -> Obj:
    for r in (app.get("status") or {}).get("resources") or []:
        if r.get("kind") == kind and r.get("name") == name:
            return r  # type: ignore[no-any-return]
    raise AssertionError(
        f"{kind}/{name} not in status.resources: {(app.get('status') or {}).get('resources')}"
    )
