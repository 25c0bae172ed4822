"""Checks on a generated Application before it is written.

An Application without a name, with an invalid name, a project that does not
exist, or a destination that names no known cluster is skipped with a message
naming it (and, for names, the ``nameNormalized`` hint); the others are still
written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from argosy.appset.names import invalid_name_reason
from argosy.engine.project import check_application

NAME_HINT = (
    "use a normalized parameter for the name, e.g. '{{nameNormalized}}' (clusters) or "
    "'{{path.basenameNormalized}}' (git), or the normalize function ('{{ normalize .name }}')"
)


@dataclass(frozen=True)
class KnownCluster:
    name: str
    server: str


def destination_error(destination: Mapping[str, Any], clusters: Iterable[KnownCluster]) -> str:
    """Why a destination names no usable cluster ('' when it does)."""
    known = list(clusters)
    name = str(destination.get("name") or "")
    server = str(destination.get("server") or "").rstrip("/")
    if name and server:
        return f"application destination can't have both name and server defined: {name} {server}"
    if name:
        if not any(c.name == name for c in known):
            return f"there are no clusters with this name: {name}"
        return ""
    if server:
        if not any(c.server.rstrip("/") == server for c in known):
            return f"there is no cluster with this server: {server}"
        return ""
    return "the destination names neither a server nor a cluster name"


Projects = Iterable[str] | Mapping[str, Mapping[str, Any]] | None
"""AppProject names (checked for existence), or name → AppProject (also checked for what it
allows: sources, destinations, namespaces), or None (not checked)."""


def validation_error(
    app: Mapping[str, Any],
    appset_name: str,
    projects: Projects,
    clusters: Iterable[KnownCluster],
    control_plane_namespace: str = "",
) -> str:
    """What is wrong with one generated Application ('' when it may be written)."""
    meta = app.get("metadata") or {}
    spec = app.get("spec") or {}
    name = str(meta.get("name") or "")
    if not name:
        return (
            f"ApplicationSet {appset_name} contains an application with no name; a name must be set in the "
            "template's metadata.name or via a templatePatch (generateName is not supported)"
        )
    reason = invalid_name_reason(name)
    if reason:
        return f"application name {name!r} is invalid: {reason}; {NAME_HINT}"
    project = str(spec.get("project") or "default")
    known = list(clusters)
    if projects is not None and project not in projects:
        return f"application references project {project} which does not exist"
    problem = destination_error(spec.get("destination") or {}, known)
    if problem:
        return f"application destination spec is invalid: {problem}"
    if isinstance(projects, Mapping) and projects.get(project):
        refused = check_application(
            projects[project],
            app,
            control_plane_namespace=control_plane_namespace or str(meta.get("namespace") or ""),
            clusters=[{"name": c.name, "server": c.server} for c in known],
        )
        if refused:
            return "; ".join(v.message for v in refused)
    return ""


def known_clusters(
    cluster_secrets: Iterable[Mapping[str, Any]], in_cluster_enabled: bool = True
) -> list[KnownCluster]:
    """The destinations generated Applications may name: every cluster Secret, plus ``in-cluster``."""
    from argosy.settings.clusters import IN_CLUSTER_NAME, IN_CLUSTER_SERVER, is_cluster_secret
    from argosy.settings.secrets import SecretDataError, secret_text

    out: list[KnownCluster] = []
    for secret in cluster_secrets:
        if not is_cluster_secret(secret):
            continue
        try:
            data = secret_text(secret, what="cluster Secret", strict=False)
        except SecretDataError:
            continue
        server = data.get("server", "").rstrip("/")
        out.append(KnownCluster(data.get("name") or server, server))
    if in_cluster_enabled and not any(c.server == IN_CLUSTER_SERVER for c in out):
        out.append(KnownCluster(IN_CLUSTER_NAME, IN_CLUSTER_SERVER))
    return out
