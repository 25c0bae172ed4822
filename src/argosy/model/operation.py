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
    factor: int | None = None
    max_duration: str = ""


@dataclass
class RetryStrategy(View):
    """How often a failed sync is retried; ``limit`` 0 means never, negative means forever."""

    limit: int = 0
    backoff: Backoff | None = None
    refresh: bool = False


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
    force: bool = False


@dataclass
class SyncStrategyHook(View):
    force: bool = False


@dataclass
class SyncStrategy(View):
    """``apply`` (no hooks) or ``hook`` (the default: hooks run)."""

    apply: SyncStrategyApply | None = None
    hook: SyncStrategyHook | None = None


@dataclass
class SyncOperation(View):
    """Parameters of one sync."""

    revision: str = ""
    revisions: list[str] = field(default_factory=list)
    prune: bool = False
    dry_run: bool = False
    sync_strategy: SyncStrategy | None = None
    resources: list[SyncOperationResource] = field(default_factory=list)
    source: ApplicationSource | None = None
    """Set by a rollback: sync this source instead of the spec's."""
    sources: list[ApplicationSource] = field(default_factory=list)
    manifests: list[str] = field(default_factory=list)
    sync_options: list[str] = field(default_factory=list)
    auto_heal_attempts_count: int = 0


@dataclass
class OperationInitiator(View):
    """Who asked: a user name, or the controller itself (``automated``)."""

    username: str = ""
    automated: bool = False


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
    initiated_by: OperationInitiator = field(default_factory=OperationInitiator)
    info: list[Info] = field(default_factory=list)
    retry: RetryStrategy = field(default_factory=RetryStrategy)
