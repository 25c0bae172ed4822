"""An application's rendered and compared state, computed on request.

The controller keeps its comparison in memory and writes only a summary
(``status.resources``) into the Application. A user who asks *what exactly
would be applied* (``/manifests``, ``argosy app manifests``) or *what exactly
differs* (``/managed-resources``, ``argosy app diff``) needs the objects
themselves, so the API server and the CLI's ``--core`` mode both compute
them here, from the pieces the controller uses: the repo service renders the
sources (credentials from the repository Secrets, Kubernetes and API
versions from the destination), live objects are read from the destination
cluster, and :func:`argosy.controller.compare.compare_app` compares them.
The answer is therefore the controller's answer, not a second opinion.

Secret values never leave this module in clear: rendered Secrets and every
Secret state are masked with ``+`` signs, as Argo CD does (the diff engine's
masks keep equal values equal and changed values visibly different).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from argosy.kube.clients import KubeClient
from argosy.kube.discovery import ApiResources, discover
from argosy.kube.errors import KubeError
from argosy.repo import RenderRequest, RenderResult, RepoClient, RepoError
from argosy.repo.errors import UnreachableError
from argosy.repo.sops.selection import key_material
from argosy.settings.clusters import (
    ClusterConfig,
    ClusterSecretError,
    cluster_list,
    in_cluster_enabled,
    is_cluster_secret,
)
from argosy.settings.repositories import RepositorySecretError, RepositoryStore

Obj = dict[str, Any]

MASK = "++++++++"
#: ConfigMaps the repo service reads beside the repository Secrets (TLS certificates, SSH known hosts).
REPO_CONFIGMAPS = ("argocd-tls-certs-cm", "argocd-ssh-known-hosts-cm")


class AppStateError(Exception):
    """Why the state could not be computed, in words for the user.

    ``unavailable`` is true when a cluster or repository could not be reached
    (retrying later may help), false when the Application itself is at fault.
    """

    def __init__(self, message: str, *, unavailable: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.unavailable = unavailable


class ControlPlaneReader(Protocol):
    """What this module reads from the control-plane namespace (the server and ``--core`` differ)."""

    namespace: str

    def secrets(self, secret_type: str) -> list[Obj]: ...
    def configmap_data(self, name: str) -> dict[str, str]: ...
    def secret(self, name: str) -> Obj | None: ...
    def app_project(self, name: str) -> Obj | None: ...


def mask_secret(obj: Obj | None) -> Obj | None:
    """A copy of ``obj`` with every Secret value masked (other kinds are returned unchanged)."""
    if not isinstance(obj, dict) or obj.get("kind") != "Secret":
        return obj
    out = copy.deepcopy(obj)
    for key in ("data", "stringData"):
        if isinstance(out.get(key), dict):
            out[key] = {k: MASK for k in out[key]}
    annotations = (out.get("metadata") or {}).get("annotations") or {}
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return out


# --------------------------------------------------------------- destination
def resolve_destination(reader: ControlPlaneReader, app: Obj, in_cluster: ClusterConfig) -> ClusterConfig:
    """The cluster ``spec.destination`` names, from the cluster Secrets (as the controller resolves it)."""
    dest = (app.get("spec") or {}).get("destination") or {}
    secrets = [s for s in reader.secrets("cluster") if is_cluster_secret(s)]
    enabled = in_cluster_enabled(reader.configmap_data("argocd-cm"))
    try:
        clusters = cluster_list(secrets, in_cluster=in_cluster, in_cluster_enabled=enabled)
        return clusters.resolve(str(dest.get("server") or ""), str(dest.get("name") or ""))
    except (ClusterSecretError, LookupError) as exc:
        raise AppStateError(f"destination of application '{_name(app)}': {exc}") from None


@contextmanager
def destination_client(cluster: ClusterConfig, reuse: KubeClient | None = None) -> Iterator[KubeClient]:
    """A client of ``cluster``: ``reuse`` when it already talks to it, else a new one closed afterwards."""
    if reuse is not None and reuse.cluster.server == cluster.server:
        yield reuse
        return
    try:
        client = KubeClient(cluster)
    except KubeError as exc:
        raise AppStateError(f"cluster {cluster.describe()}: {exc}", unavailable=True) from None
    try:
        yield client
    finally:
        client.close()


@dataclass
class Destination:
    """What rendering needs to know of the destination: its versions and kinds."""

    cluster: ClusterConfig
    server_version: str
    resources: ApiResources

    def api_versions(self) -> list[str]:
        """What Helm's ``--api-versions`` takes: ``group/version`` and ``group/version/Kind``."""
        out: set[str] = set()
        for r in self.resources.resources:
            out.add(r.api_version)
            out.add(f"{r.api_version}/{r.kind}")
        return sorted(out)


def probe_destination(cluster: ClusterConfig, client: KubeClient) -> Destination:
    check = client.check(timeout=5.0)
    if not check.ok:
        raise AppStateError(f"cluster {cluster.describe()}: {check.message}", unavailable=True)
    try:
        resources = discover(client)
    except KubeError as exc:
        raise AppStateError(
            f"cannot read the API of cluster {cluster.describe()}: {exc}", unavailable=True
        ) from None
    return Destination(cluster, check.server_version, resources)


# -------------------------------------------------------------------- render
def render(
    reader: ControlPlaneReader,
    app: Obj,
    renderer: RepoClient,
    dest: Destination,
    *,
    revision: str = "",
    source_revisions: Mapping[int, str] | None = None,
) -> RenderResult:
    """Render the app's sources; ``revision`` overrides a single source's targetRevision and
    ``source_revisions`` (1-based position -> revision) those of a multi-source app, as Argo CD's
    ``revision`` and ``sourcePositions``/``revisions`` do."""
    app = copy.deepcopy(app)
    spec = app.setdefault("spec", {})
    if isinstance(spec.get("source"), dict) and not spec.get("sources"):
        if revision:
            spec["source"]["targetRevision"] = revision
    elif source_revisions:
        sources = spec.get("sources") or []
        for position, rev in source_revisions.items():
            if not 1 <= position <= len(sources):
                raise AppStateError(
                    f"source position {position} is out of range: application '{_name(app)}' has "
                    f"{len(sources)} sources (positions count from 1)"
                )
            sources[position - 1]["targetRevision"] = rev
    objects = reader.secrets("repository") + reader.secrets("repo-creds")
    for name in REPO_CONFIGMAPS:
        objects.append({"kind": "ConfigMap", "metadata": {"name": name}, "data": reader.configmap_data(name)})
    cm = reader.configmap_data("argocd-cm")
    try:
        request = RenderRequest.from_application(
            app,
            repositories=RepositoryStore.from_objects(objects),
            kube_version=dest.server_version,
            api_versions=dest.api_versions(),
            kustomize_build_options=cm.get("kustomize.buildOptions", ""),
            sops=key_material(
                app,
                reader.app_project(str(spec.get("project") or "default")),
                cm,
                reader.secret,
                reader.namespace,
            ),
        )
        return renderer.render(request)
    except UnreachableError as exc:
        raise AppStateError(f"rendering application '{_name(app)}' failed: {exc}", unavailable=True) from None
    except (RepoError, RepositorySecretError, ValueError) as exc:
        raise AppStateError(f"rendering application '{_name(app)}' failed: {exc}") from None


@dataclass
class Manifests:
    """Argo CD's ``ManifestResponse``: the rendered objects (Secrets masked) and where they came from."""

    objects: list[Obj]
    revision: str
    source_type: str
    namespace: str
    server: str


def manifests(
    reader: ControlPlaneReader,
    app: Obj,
    renderer: RepoClient,
    in_cluster: ClusterConfig,
    *,
    revision: str = "",
    source_revisions: Mapping[int, str] | None = None,
    reuse: KubeClient | None = None,
) -> Manifests:
    cluster = resolve_destination(reader, app, in_cluster)
    with destination_client(cluster, reuse) as client:
        dest = probe_destination(cluster, client)
    result = render(reader, app, renderer, dest, revision=revision, source_revisions=source_revisions)
    spec_dest = (app.get("spec") or {}).get("destination") or {}
    return Manifests(
        objects=[m for m in (mask_secret(o) for o in result.manifests()) if m],
        revision=result.revision,
        source_type=result.sources[0].tool if result.sources else "",
        namespace=str(spec_dest.get("namespace") or ""),
        server=cluster.server,
    )


def _name(app: Obj) -> str:
    return str((app.get("metadata") or {}).get("name") or "")


def recorded_keys(app: Obj) -> Sequence[tuple[str, str, str, str]]:
    """(group, kind, namespace, name) of every resource the controller last recorded for the app."""
    out = []
    for r in (app.get("status") or {}).get("resources") or []:
        if isinstance(r, dict) and r.get("kind") and r.get("name"):
            out.append(
                (str(r.get("group") or ""), str(r["kind"]), str(r.get("namespace") or ""), str(r["name"]))
            )
    return out
