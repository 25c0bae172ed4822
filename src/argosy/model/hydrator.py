"""``spec.sourceHydrator``: render manifests from a "dry" source and commit them to a branch.

Argo CD's source hydrator renders the dry source (Helm, Kustomize...) once,
commits the plain manifests to ``syncSource.targetBranch`` (or to
``hydrateTo.targetBranch`` for a promotion step in between) and syncs from
there. Argosy keeps these fields so such Applications are accepted and round
trip unchanged; it renders from ``source``/``sources``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from argosy.model.base import View
from argosy.model.source import DirectorySource, HelmSource, KustomizeSource, PluginSource


@dataclass
class DrySource(View):
    """Where the unrendered ("don't repeat yourself") manifests live."""

    _json_keys: ClassVar[dict[str, str]] = {"repo_url": "repoURL"}
    _required: ClassVar[tuple[str, ...]] = ("repo_url", "target_revision", "path")

    repo_url: str = ""
    """URL of the Git repository."""
    target_revision: str = ""
    """Revision to render."""
    path: str = ""
    """Directory of the manifests in the repository."""
    helm: HelmSource | None = None
    kustomize: KustomizeSource | None = None
    directory: DirectorySource | None = None
    plugin: PluginSource | None = None


@dataclass
class SyncSource(View):
    """Where rendered manifests are committed to and synced from."""

    _json_keys: ClassVar[dict[str, str]] = {"repo_url": "repoURL"}
    _required: ClassVar[tuple[str, ...]] = ("target_branch", "path")

    target_branch: str = ""
    """Branch the rendered manifests are synced from (and committed to, without ``hydrateTo``)."""
    path: str = ""
    """Directory of the rendered manifests; never the repository root."""
    repo_url: str = ""
    """Repository of the rendered manifests; defaults to the dry source's."""


@dataclass
class HydrateTo(View):
    """A staging branch for rendered manifests, moved to the sync branch by something else (a PR)."""

    _required: ClassVar[tuple[str, ...]] = ("target_branch",)

    target_branch: str = ""


@dataclass
class SourceHydrator(View):
    """Render a dry source and commit the result for syncing."""

    _required: ClassVar[tuple[str, ...]] = ("dry_source", "sync_source")

    dry_source: DrySource = field(default_factory=DrySource)
    sync_source: SyncSource = field(default_factory=SyncSource)
    hydrate_to: HydrateTo | None = None


@dataclass
class SuccessfulHydrateOperation(View):
    """A hydration: the dry commit rendered and the commit it produced."""

    _json_keys: ClassVar[dict[str, str]] = {"dry_sha": "drySHA", "hydrated_sha": "hydratedSHA"}

    dry_sha: str = ""
    hydrated_sha: str = ""
    source_hydrator: SourceHydrator | None = None


@dataclass
class HydrateOperation(SuccessfulHydrateOperation):
    """The current hydration, with its progress."""

    started_at: str | None = None
    finished_at: str | None = None
    phase: str = ""
    """``Hydrating``, ``Failed`` or ``Hydrated``."""
    message: str = ""


@dataclass
class SourceHydratorStatus(View):
    """``status.sourceHydrator``: the last successful and the current hydration."""

    last_successful_operation: SuccessfulHydrateOperation | None = None
    current_operation: HydrateOperation | None = None
    last_compared_dry_revision: str = ""
    """The dry source's revision at the last comparison, hydrated or not."""
