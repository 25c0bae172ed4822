"""Which Applications a push should refresh.

An Application is refreshed when one of its sources (``spec.source`` or
``spec.sources[]``) has a ``repoURL`` naming the pushed repository and a
``targetRevision`` the push moved:

- ``HEAD`` or empty: the push touched the default branch;
- a branch or tag name (``main``, ``v1.2``) or ``refs/heads/main``,
  ``refs/tags/v1.2``: the pushed ref is that name.

With the ``argocd.argoproj.io/manifest-generate-paths`` annotation
(``;``-separated paths, relative to the source's ``path`` or absolute from the
repository root), only pushes that change a file under one of those paths
refresh the app; a push that lists no files always refreshes.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping, Sequence
from typing import Any

from argosy.server.webhook.events import PushEvent, parse_revision
from argosy.server.webhook.urls import URLError, web_url_regex

MANIFEST_GENERATE_PATHS = "argocd.argoproj.io/manifest-generate-paths"


def revision_matches(target_revision: str, revision: str, touched_head: bool) -> bool:
    """Did a push of ``revision`` (``touched_head``: to the default branch) move ``target_revision``?"""
    target = target_revision.strip()
    if parse_revision(target) in ("HEAD", ""):
        return touched_head
    if target.startswith(("refs/heads/", "refs/tags/")):
        return parse_revision(target) == revision
    return target == revision


def app_sources(app: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``spec.sources`` when present, else ``spec.source``; malformed entries are skipped."""
    spec = app.get("spec")
    if not isinstance(spec, Mapping):
        return []
    sources = spec.get("sources")
    if isinstance(sources, list) and sources:
        return [s for s in sources if isinstance(s, Mapping)]
    source = spec.get("source")
    return [source] if isinstance(source, Mapping) else []


def _refresh_paths(app: Mapping[str, Any], source: Mapping[str, Any]) -> list[str] | None:
    annotations = (app.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(MANIFEST_GENERATE_PATHS) if isinstance(annotations, Mapping) else None
    if not isinstance(value, str) or not value.strip():
        return None
    base = str(source.get("path") or "")
    paths = []
    for item in value.split(";"):
        item = item.strip()
        if not item:
            continue
        path = item[1:] if item.startswith("/") else posixpath.join(base, item)
        paths.append(posixpath.normpath("/" + path))
    return paths


def files_touch_paths(changed_files: Sequence[str], paths: list[str] | None) -> bool:
    """True when no filter applies, no file list is known, or a changed file lies under a path."""
    if not changed_files or paths is None:
        return True
    for changed in changed_files:
        file = posixpath.normpath("/" + changed)
        for path in paths:
            if path == "/" or file == path or file.startswith(path.rstrip("/") + "/"):
                return True
    return False


def matching_apps(event: PushEvent, apps: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The Application objects (dicts) ``event`` should refresh, in input order, each once."""
    matchers = []
    for url in event.web_urls:
        try:
            matchers.append(web_url_regex(url))
        except URLError:
            continue
    out: list[Mapping[str, Any]] = []
    for app in apps:
        if not isinstance(app, Mapping):
            continue
        for source in app_sources(app):
            repo_url = source.get("repoURL")
            target = source.get("targetRevision")
            if not isinstance(repo_url, str):
                continue
            if not revision_matches(
                target if isinstance(target, str) else "", event.revision, event.touched_head
            ):
                continue
            if not any(m.search(repo_url) for m in matchers):
                continue
            if files_touch_paths(event.changed_files, _refresh_paths(app, source)):
                out.append(app)
                break
    return out


def apps_to_refresh(event: PushEvent, apps: Sequence[Mapping[str, Any]]) -> list[str]:
    """Names of the Applications ``event`` should refresh (``metadata.name``), in input order."""
    return [str((app.get("metadata") or {}).get("name") or "") for app in matching_apps(event, apps)]
