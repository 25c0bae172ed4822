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

import copy
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from argosy.cli.commands.backend import CliError, Obj
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError
from argosy.settings.clusters import ClusterConfig, ClusterSecretError, cluster_list
from argosy.settings.repositories import SECRET_TYPE_LABEL

if TYPE_CHECKING:
    from argosy.cli.core import CoreBackend

MASK = "++++++++"


def mask_secret(obj: Obj | None) -> Obj | None:
    """A copy of ``obj`` with every Secret value masked (other kinds unchanged)."""
    if not isinstance(obj, dict) or obj.get("kind") != "Secret":
        return obj
    out = copy.deepcopy(obj)
    for key in ("data", "stringData"):
        if isinstance(out.get(key), dict):
            out[key] = {k: MASK for k in out[key]}
    annotations = (out.get("metadata") or {}).get("annotations") or {}
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return out


def _destination_client(backend: CoreBackend, app: Obj) -> KubeClient:
    dest = (app.get("spec") or {}).get("destination") or {}
    secrets = [s for s in backend.secrets("cluster")]
    try:
        clusters = cluster_list(secrets, in_cluster=backend.client.cluster)
        cluster = clusters.resolve(str(dest.get("server") or ""), str(dest.get("name") or ""))
    except (ClusterSecretError, ValueError, LookupError) as exc:
        raise CliError(f"destination of application '{app['metadata']['name']}': {exc}") from None
    if cluster.in_cluster or cluster.server == backend.client.cluster.server:
        return backend.client
    try:
        return KubeClient(cluster)
    except KubeError as exc:
        raise CliError(str(exc)) from None


def _render(backend: CoreBackend, app: Obj, revision: str, kube_version: str) -> list[Obj]:
    from argosy.repo import RenderRequest, RepoError, RepoService
    from argosy.settings.repositories import RepositorySecretError, RepositoryStore

    app = copy.deepcopy(app)
    spec = app.get("spec") or {}
    if revision and isinstance(spec.get("source"), dict):
        spec["source"]["targetRevision"] = revision
    objects: list[Obj] = backend.secrets("repository") + backend.secrets("repo-creds")
    for name in ("argocd-tls-certs-cm", "argocd-ssh-known-hosts-cm"):
        objects.append(
            {"kind": "ConfigMap", "metadata": {"name": name}, "data": backend.configmap_data(name)}
        )
    cm = backend.configmap_data("argocd-cm")
    try:
        request = RenderRequest.from_application(
            app,
            repositories=RepositoryStore.from_objects(objects),
            kube_version=kube_version,
            kustomize_build_options=cm.get("kustomize.buildOptions", ""),
        )
        return RepoService().render(request).manifests()
    except (RepoError, RepositorySecretError, ValueError) as exc:
        raise CliError(f"rendering application '{app['metadata']['name']}' failed: {exc}") from None


def render_app(backend: CoreBackend, app: Obj, revision: str) -> list[Obj]:
    client = _destination_client(backend, app)
    version = client.check(timeout=5.0).server_version
    return [m for m in (mask_secret(o) for o in _render(backend, app, revision, version)) if m]


def compare_live(backend: CoreBackend, app: Obj) -> list[Obj]:
    """Argo CD's managed-resources items (target/live states and the field changes), masked."""
    from argosy.controller.compare import compare_app
    from argosy.controller.settings import ControllerSettings
    from argosy.engine.sync import ResourceKey
    from argosy.kube.discovery import discover

    client = _destination_client(backend, app)
    try:
        resources = discover(client)
    except KubeError as exc:
        raise CliError(f"cannot read the destination cluster: {exc}") from None
    desired = _render(backend, app, "", client.check(timeout=5.0).server_version)

    def is_namespaced(group: str, kind: str) -> bool | None:
        res = resources.get(group, kind)
        return None if res is None else res.namespaced

    def lookup(key: ResourceKey) -> Obj | None:
        res = resources.get(key.group, key.kind)
        if res is None:
            return None
        try:
            live: Obj | None = client.request("GET", res.path(key.namespace, key.name))
        except KubeError as exc:
            if getattr(exc, "status", 0) == 404:
                return None
            raise CliError(f"reading {key}: {exc}") from None
        return live

    settings = ControllerSettings.from_configmap_data(backend.configmap_data("argocd-cm"), backend.namespace)
    comparison = compare_app(app, desired, {}, lookup, settings, is_namespaced)
    items: list[Obj] = []
    for r in comparison.resources:
        d = r.diff
        target = (d.normalized_desired if d is not None else None) or r.desired
        live = (d.normalized_live if d is not None else None) or r.live
        item: Obj = {
            "group": r.key.group,
            "kind": r.key.kind,
            "namespace": r.key.namespace,
            "name": r.key.name,
            "status": r.status,
            "hook": r.hook,
            "targetState": mask_secret(target),
            "liveState": mask_secret(live),
        }
        if d is not None:
            item["predictedLiveState"] = mask_secret(d.predicted_live)
            item["diff"] = [{"path": c.path, "desired": c.desired, "live": c.live} for c in d.changes]
            if r.key.kind == "Secret":
                item["diff"] = [{**c, "desired": MASK, "live": MASK} for c in item["diff"]]
        items.append(item)
    return items


def _probe(cluster: ClusterConfig) -> Obj:
    try:
        client = KubeClient(cluster)
    except KubeError as exc:
        check_ok, version, message = False, "", str(exc)
    else:
        check = client.check(timeout=5.0)
        client.close()
        check_ok, version, message = check.ok, check.server_version, check.message
    status = "Successful" if check_ok else "Failed"
    return {
        "server": cluster.server,
        "name": cluster.display_name,
        "project": cluster.project,
        "namespaces": list(cluster.namespaces),
        "labels": dict(cluster.labels),
        "annotations": dict(cluster.annotations),
        "serverVersion": version,
        "connectionState": {"status": status, "message": message},
        "info": {"serverVersion": version, "connectionState": {"status": status, "message": message}},
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
