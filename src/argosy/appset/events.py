"""Which ApplicationSets a watch event concerns, so a change is acted on at once."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from argosy.appset.requeue import uses_clusters
from argosy.engine.glob import glob_match
from argosy.settings.clusters import is_cluster_secret


def namespace_allowed(namespace: str, allowed: Iterable[str]) -> bool:
    """``applicationsetcontroller.namespaces``: names or globs (``team-*``)."""
    return any(namespace == pattern or glob_match(pattern, namespace) for pattern in allowed)


def appsets_for_cluster_secret(
    secret: Mapping[str, Any], appsets: Iterable[Mapping[str, Any]], namespaces: Iterable[str]
) -> list[str]:
    """``namespace/name`` of every ApplicationSet with a clusters generator, for a cluster Secret's change."""
    if not is_cluster_secret(secret):
        return []
    allowed = list(namespaces)
    out = []
    for appset in appsets:
        meta = appset.get("metadata") or {}
        namespace = str(meta.get("namespace") or "")
        if not namespace_allowed(namespace, allowed):
            continue
        if any(uses_clusters(g) for g in (appset.get("spec") or {}).get("generators") or []):
            out.append(f"{namespace}/{meta.get('name')}")
    return out


REFRESH_ANNOTATION = "argocd.argoproj.io/application-set-refresh"
"""Set to ``"true"`` by the webhook route on sets whose Git generators a push concerns; removed after."""


def git_sources(appset: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(repoURL, revision)`` of every git generator of the set, nested ones included."""
    out: list[tuple[str, str]] = []

    def walk(entry: Any) -> None:
        if isinstance(entry, str):
            try:
                entry = json.loads(entry)
            except ValueError:
                return
        if not isinstance(entry, Mapping):
            return
        git = entry.get("git")
        if isinstance(git, Mapping) and git.get("repoURL"):
            out.append((str(git["repoURL"]), str(git.get("revision") or "")))
        for kind in ("matrix", "merge"):
            for child in (entry.get(kind) or {}).get("generators") or []:
                walk(child)

    for generator in (appset.get("spec") or {}).get("generators") or []:
        walk(generator)
    return out
