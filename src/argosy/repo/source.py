"""What the renderers need from one Application source, read through the model's view.

A source is read once, by :class:`argosy.model.source.ApplicationSource` (the
same view the CRD schema is generated from), so the repo server accepts
exactly the fields and types an Application may have, and its errors name the
field (``spec.sources[1].helm.valueFiles: expected array, got string``). On
top of that, this module refuses what the renderers cannot do yet (config
management plugins, Jsonnet) instead of rendering something else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from argosy.model.source import ApplicationSource, DirectorySource, HelmSource, KustomizeSource
from argosy.repo.errors import InvalidSourceError


@dataclass(frozen=True)
class RenderSource:
    """One source, checked for rendering; ``raw`` keeps the dict for cache keys and the wire."""

    repo_url: str
    path: str = ""
    target_revision: str = ""
    chart: str = ""
    ref: str = ""
    name: str = ""
    helm: HelmSource | None = None
    kustomize: KustomizeSource | None = None
    directory: DirectorySource | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_helm_repo(self) -> bool:
        """A chart from a Helm repository (``chart`` set), not a chart in Git."""
        return bool(self.chart)

    def options_key(self) -> str:
        """Everything but repoURL/targetRevision, canonically encoded, for cache keys."""
        rest = {k: v for k, v in self.raw.items() if k not in ("repoURL", "targetRevision", "name")}
        return json.dumps(rest, sort_keys=True, separators=(",", ":"))


def parse_source(d: Any, where: str = "spec.source") -> RenderSource:
    """Read one source dict; errors name the field (``spec.sources[1].helm.valueFiles``)."""
    if not isinstance(d, dict):
        raise InvalidSourceError(f"{where}: expected an object")
    source = ApplicationSource.from_dict(d, where)
    if source.errors:
        raise InvalidSourceError("; ".join(source.errors))
    _check_renderable(source, where)
    return RenderSource(
        repo_url=source.repo_url.strip(),
        path=source.path,
        target_revision=source.target_revision.strip(),
        chart=source.chart,
        ref=source.ref,
        name=source.name,
        helm=source.helm,
        kustomize=source.kustomize,
        directory=source.directory,
        raw=dict(d),
    )


def _check_renderable(source: ApplicationSource, where: str) -> None:
    """Refuse what no renderer supports, rather than silently render without it."""
    if not source.repo_url.strip():
        raise InvalidSourceError(f"{where}.repoURL is required")
    if source.plugin is not None:
        raise InvalidSourceError(f"{where}.plugin: config management plugins are not supported yet")
    jsonnet = source.directory.jsonnet if source.directory is not None else None
    if jsonnet is not None and jsonnet.to_dict():
        raise InvalidSourceError(f"{where}.directory.jsonnet: Jsonnet is not supported yet")
    if source.kustomize is not None:
        for i, patch in enumerate(source.kustomize.patches):
            if not (patch.patch or patch.path):
                raise InvalidSourceError(f"{where}.kustomize.patches[{i}]: set patch or path")
    if source.ref and ("/" in source.ref or source.ref.startswith("$")):
        raise InvalidSourceError(
            f"{where}.ref: {source.ref!r} must be a plain name (used as ${source.ref}/path)"
        )
