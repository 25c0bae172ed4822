"""``--core`` work that needs more than CRUD: rendering, live diffs, cluster probes, Secrets.

Without the server, ``app manifests`` and ``app diff`` render the
Application with the in-process repo service (credentials read from the
repository Secrets, as the controller does) and read live objects from the
destination cluster with the caller's kubeconfig or the cluster Secret; the
comparison is the controller's own (:func:`argosy.controller.compare.compare_app`),
so ``--core`` shows exactly the drift the controller sees. Secret values are
masked before anything is returned.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from argosy.cli.commands.backend import CliError, Obj
from argosy.server.appstate import MASK, AppStateError, ControlPlaneReader, mask_secret
from argosy.settings.clusters import ClusterConfig
from argosy.settings.repositories import SECRET_TYPE_LABEL

__all__ = ["MASK", "compare_live", "mask_secret", "probe_clusters", "render_app"]

if TYPE_CHECKING:
    from argosy.cli.core import CoreBackend


def _reader(backend: CoreBackend) -> ControlPlaneReader:
    return backend


def render_app(backend: CoreBackend, app: Obj, revision: str) -> list[Obj]:
    """The app's manifests at ``revision`` (default: its targetRevision), Secret values masked."""
    from argosy.repo import RepoService
    from argosy.server.appstate import manifests

    try:
        return manifests(
            _reader(backend),
            app,
            RepoService(),
            backend.client.cluster,
            revision=revision,
            reuse=backend.client,
        ).objects
    except AppStateError as exc:
        raise CliError(exc.message) from None


def compare_live(backend: CoreBackend, app: Obj) -> list[Obj]:
    """Argo CD's managed-resources items (target, live, normalized and predicted states), masked."""
    from argosy.repo import RepoService
    from argosy.server.managed import managed_resources

    try:
        items = managed_resources(
            _reader(backend), app, RepoService(), backend.client.cluster, reuse=backend.client
        )
    except AppStateError as exc:
        raise CliError(exc.message) from None
    return [i for i in items if not i["hook"]]


def preview_deletion(backend: CoreBackend, app: Obj) -> list[Obj]:
    """What a cascade deletion would delete and keep (the server's rule, run in-process)."""
    from argosy.server.managed import deletion_preview

    try:
        return deletion_preview(_reader(backend), app, backend.client.cluster, reuse=backend.client)
    except AppStateError as exc:
        raise CliError(exc.message) from None


def _probe(cluster: ClusterConfig) -> Obj:
    from argosy.server.clusterinfo import probe

    info = probe(cluster)
    state = info.connection_state()
    return {
        "server": cluster.server,
        "name": cluster.display_name,
        "project": cluster.project,
        "namespaces": list(cluster.namespaces),
        "labels": dict(cluster.labels),
        "annotations": dict(cluster.annotations),
        "serverVersion": info.server_version,
        "connectionState": state,
        "info": {"serverVersion": info.server_version, "connectionState": state},
    }


def probe_clusters(clusters: list[ClusterConfig]) -> list[Obj]:
    """Each cluster with its live connection status and version, probed in parallel."""
    if not clusters:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(clusters))) as pool:
        return list(pool.map(_probe, clusters))


def cluster_secret_name(server: str) -> str:
    """``cluster-<host>-<number>``, the naming Argo CD uses for the Secrets it creates."""
    host = (urlsplit(server).hostname or "cluster").replace(".", "-")[:40].strip("-")
    return f"cluster-{host}-{int(hashlib.sha256(server.encode()).hexdigest()[:8], 16)}"


def cluster_secret(cluster: Obj, namespace: str) -> Obj:
    """A cluster Secret (Argo CD's layout) from the API's cluster object."""
    server = str(cluster["server"]).rstrip("/")
    data = {
        "server": server,
        "name": str(cluster.get("name") or server),
        "config": json.dumps(cluster.get("config") or {}),
    }
    if cluster.get("namespaces"):
        data["namespaces"] = ",".join(cluster["namespaces"])
    if cluster.get("clusterResources"):
        data["clusterResources"] = "true"
    if cluster.get("project"):
        data["project"] = str(cluster["project"])
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": cluster_secret_name(server),
            "namespace": namespace,
            "labels": {**(cluster.get("labels") or {}), SECRET_TYPE_LABEL: "cluster"},
            "annotations": {**(cluster.get("annotations") or {}), "managed-by": "argocd.argoproj.io"},
        },
        "stringData": data,
    }


def repo_secret(repo: Obj, namespace: str) -> Obj:
    """A repository Secret (Argo CD's layout) from the API's repository object."""
    url = str(repo["repo"])
    data: dict[str, str] = {"url": url}
    for key, value in repo.items():
        if key == "repo" or value in ("", None, False):
            continue
        data[key] = "true" if value is True else str(value)
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": "repo-" + str(int(hashlib.sha256(url.encode()).hexdigest()[:8], 16)),
            "namespace": namespace,
            "labels": {SECRET_TYPE_LABEL: "repository"},
            "annotations": {"managed-by": "argocd.argoproj.io"},
        },
        "stringData": data,
    }
