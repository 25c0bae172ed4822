"""The ``operation`` field of an Application: a request to sync (or roll back).

The CLI, the API and auto-sync all start a sync the same way Argo CD does: by
writing ``operation.sync`` on the Application. The controller runs it,
records progress in ``status.operationState`` and clears ``operation`` when
done, so a restarted controller can resume what is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from argosy.model.base import View
from argosy.model.source import ApplicationSource


@dataclass
class Backoff(View):
    """Delay between retries: ``duration`` (``5s``, ``2m``) times ``factor``, at most ``maxDuration``."""

    duration: str = ""
    """First delay, a duration (``5s``) or a number of seconds."""
    factor: int | None = None
    """Each delay is the previous one times this."""
    max_duration: str = ""
    """Longest delay."""


@dataclass
class RetryStrategy(View):
    """How often a failed sync is retried; ``limit`` 0 means never, negative means forever."""

    limit: int = 0
    """Number of retries; negative retries forever."""
    backoff: Backoff | None = None
    """Delay between retries."""
    refresh: bool = False
    """Retry with the latest revision when the source changed since the failed attempt."""


@dataclass
class SyncOperationResource(View):
    """One resource of a partial sync (``argocd app sync --resource``)."""

    _required: ClassVar[tuple[str, ...]] = ("kind", "name")

    group: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""


@dataclass
class SyncStrategyApply(View):
    """``kubectl apply`` the resources, without running hooks."""

    force: bool = False
    """Delete and re-create resources that cannot be patched."""


@dataclass
class SyncStrategyHook(View):
    """Apply the resources and run hooks (the default)."""

    force: bool = False
    """Delete and re-create resources that cannot be patched."""


@dataclass
class SyncStrategy(View):
    """``apply`` (no hooks) or ``hook`` (the default: hooks run)."""

    apply: SyncStrategyApply | None = None
    hook: SyncStrategyHook | None = None


@dataclass
class SyncOperation(View):
    """Parameters of one sync."""

    revision: str = ""
    """Revision to sync (single-source apps); defaults to ``targetRevision``."""
    revisions: list[str] = field(default_factory=list)
    """Revisions to sync, one per source (multi-source apps)."""
    prune: bool = False
    """Delete resources that are no longer in Git."""
    dry_run: bool = False
    """Only show what the sync would do."""
    sync_strategy: SyncStrategy | None = None
    """``apply`` or ``hook`` (the default)."""
    resources: list[SyncOperationResource] = field(default_factory=list)
    """Sync only these resources."""
    source: ApplicationSource | None = None
    """Set by a rollback: sync this source instead of the spec's."""
    sources: list[ApplicationSource] = field(default_factory=list)
    """Set by a rollback of a multi-source app: sync these sources instead of the spec's."""
    manifests: list[str] = field(default_factory=list)
    """Sync these manifests instead of rendering the source (local sync)."""
    sync_options: list[str] = field(default_factory=list)
    """Sync options for this sync, instead of ``spec.syncPolicy.syncOptions``."""
    auto_heal_attempts_count: int = 0
    """Self-heal attempts so far, to back off repeated self-heals."""


@dataclass
class OperationInitiator(View):
    """Who asked: a user name, or the controller itself (``automated``)."""

    username: str = ""
    """The user who asked."""
    automated: bool = False
    """The controller started it (automated sync)."""


@dataclass
class Info(View):
    """A free-form name/value pair shown to users."""

    _required: ClassVar[tuple[str, ...]] = ("name",)

    name: str = ""
    value: str = ""


@dataclass
class Operation(View):
    """A requested operation; today only ``sync``."""

    sync: SyncOperation | None = None
    """Sync the application."""
    initiated_by: OperationInitiator = field(default_factory=OperationInitiator)
    """Who asked for the operation."""
    info: list[Info] = field(default_factory=list)
    """Free-form information about the operation."""
    retry: RetryStrategy = field(default_factory=RetryStrategy)
    """Retry the operation when it fails."""
