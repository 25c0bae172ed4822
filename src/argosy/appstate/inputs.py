"""What rendering and comparing an application needs from the control plane, gathered one way.

The controller (from its watch caches) and the API server (read per request)
answer the same small :class:`ControlPlaneReader` protocol; from it this module
resolves the destination cluster (cluster Secrets, the in-cluster entry and
``cluster.inClusterEnabled``) and builds the repo server's request (repository
and repo-creds Secrets, the custom CAs of ``argocd-tls-certs-cm``, the host
keys of ``argocd-ssh-known-hosts-cm``, ``kustomize.buildOptions``). Written
once, so a repository that renders in ``argosy app manifests`` renders in the
controller too.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Protocol

from argosy.repo import RenderRequest
from argosy.repo.sops.selection import key_material
from argosy.settings.clusters import (
    ClusterConfig,
    ClusterSecretError,
    cluster_list,
    in_cluster_enabled,
    is_cluster_secret,
)
from argosy.settings.repositories import RepositoryStore

Obj = dict[str, Any]

#: ConfigMaps the repo service reads beside the repository Secrets (TLS certificates, SSH known hosts).
REPO_CONFIGMAPS = ("argocd-tls-certs-cm", "argocd-ssh-known-hosts-cm")


class ControlPlaneReader(Protocol):
    """Read access to the settings objects of the control-plane namespace."""

    @property
    def namespace(self) -> str: ...

    def secrets(self, secret_type: str) -> list[Obj]:
        """Secrets labelled ``argocd.argoproj.io/secret-type: <secret_type>``."""
        ...

    def configmap_data(self, name: str) -> dict[str, str]:
        """``data`` of a ConfigMap of the namespace ({} when it does not exist)."""
        ...

    def project(self, name: str) -> Mapping[str, Any] | None:
        """The AppProject ``name`` (None when it does not exist)."""
        ...

    def secret(self, name: str) -> Obj | None:
        """The Secret ``name`` (SOPS key Secrets), None when it does not exist."""
        ...


def resolve_destination(
    reader: ControlPlaneReader, destination: Mapping[str, Any], in_cluster: ClusterConfig
) -> ClusterConfig:
    """The cluster an Application's ``spec.destination`` names; LookupError saying why not."""
    secrets = [s for s in reader.secrets("cluster") if is_cluster_secret(s)]
    enabled = in_cluster_enabled(reader.configmap_data("argocd-cm"))
    try:
        clusters = cluster_list(secrets, in_cluster=in_cluster, in_cluster_enabled=enabled)
    except ClusterSecretError as exc:
        raise LookupError(str(exc)) from None
    return clusters.resolve(str(destination.get("server") or ""), str(destination.get("name") or ""))


def repository_store(reader: ControlPlaneReader) -> RepositoryStore:
    """Repository credentials as the repo server reads them, custom CAs and known hosts included."""
    objects = reader.secrets("repository") + reader.secrets("repo-creds")
    for name in REPO_CONFIGMAPS:
        objects.append({"kind": "ConfigMap", "metadata": {"name": name}, "data": reader.configmap_data(name)})
    return RepositoryStore.from_objects(objects)


def at_revisions(app: Obj, revision: str = "", source_revisions: Mapping[int, str] | None = None) -> Obj:
    """The app with its sources pinned: ``revision`` for a single source, or ``source_revisions``
    (1-based position -> revision) for a multi-source app, as Argo CD's ``revision`` and
    ``sourcePositions``/``revisions`` do. ValueError when a position is out of range."""
    if not revision and not source_revisions:
        return app
    app = copy.deepcopy(app)
    spec = app.setdefault("spec", {})
    if isinstance(spec.get("source"), dict) and not spec.get("sources"):
        if revision:
            spec["source"]["targetRevision"] = revision
        return app
    sources = spec.get("sources") or []
    for position, rev in (source_revisions or {}).items():
        if not 1 <= position <= len(sources):
            name = (app.get("metadata") or {}).get("name")
            raise ValueError(
                f"source position {position} is out of range: application '{name}' has "
                f"{len(sources)} sources (positions count from 1)"
            )
        sources[position - 1]["targetRevision"] = rev
    return app


def render_request(
    reader: ControlPlaneReader,
    app: Obj,
    *,
    kube_version: str,
    api_versions: list[str],
    no_cache: bool = False,
    revision_max_age: float = 0.0,
) -> RenderRequest:
    """The repo server's request for ``app`` (raises what ``RenderRequest`` and the stores raise).

    SOPS keys travel with the request (the repo server holds no cluster credentials):
    the key Secrets the app, its project or ``argocd-cm`` select (:mod:`argosy.repo.sops.selection`).
    """
    argocd_cm = reader.configmap_data("argocd-cm")
    project = reader.project(str((app.get("spec") or {}).get("project") or "default"))
    return RenderRequest.from_application(
        app,
        repositories=repository_store(reader),
        kube_version=kube_version,
        api_versions=api_versions,
        kustomize_build_options=argocd_cm.get("kustomize.buildOptions", ""),
        no_cache=no_cache,
        revision_max_age=revision_max_age,
        sops=key_material(
            app, dict(project) if project else None, argocd_cm, reader.secret, reader.namespace
        ),
    )
