"""The Application resource: what to deploy, from where, to where, and how to keep it in sync.

``Application.from_dict`` reads any object a user or Argo CD wrote and never
raises: problems are collected in ``app.errors`` with field paths, ready to
become an ``InvalidSpecError`` condition. ``to_dict`` gives the object back
unchanged except for what the caller modified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from argosy.model.base import View
from argosy.model.constants import (
    API_VERSION,
    KIND_APPLICATION,
    POST_DELETE_FINALIZER,
    RESOURCES_FINALIZER,
    RESOURCES_FINALIZER_BACKGROUND,
)
from argosy.model.destination import ApplicationDestination, check_destination
from argosy.model.hydrator import SourceHydrator
from argosy.model.meta import ObjectMeta, check_kind
from argosy.model.operation import Info, Operation, RetryStrategy
from argosy.model.source import ApplicationSource
from argosy.model.status import ApplicationStatus, ManagedNamespaceMetadata, ResourceIgnoreDifferences

DEFAULT_REVISION_HISTORY_LIMIT = 10


@dataclass
class SyncPolicyAutomated(View):
    """Sync automatically when Git changes; present (even empty) means on, unless ``enabled: false``."""

    prune: bool = False
    """Delete resources that are no longer in Git."""
    self_heal: bool = False
    """Sync again when the live state drifts from Git, not only when Git changes."""
    allow_empty: bool = False
    """Allow a sync that would leave the application with no resources."""
    enabled: bool | None = None
    """Set false to switch automated sync off while keeping its settings."""


@dataclass
class SyncPolicy(View):
    """When and how to sync."""

    automated: SyncPolicyAutomated | None = None
    """Automated sync; absent means syncs happen only when asked for."""
    sync_options: list[str] = field(default_factory=list)
    """Options such as ``CreateNamespace=true``, ``ServerSideApply=true``, ``PruneLast=true``."""
    retry: RetryStrategy | None = None
    """Retry a failed sync."""
    managed_namespace_metadata: ManagedNamespaceMetadata | None = None
    """Labels and annotations of the namespace ``CreateNamespace=true`` creates."""


@dataclass
class ApplicationSpec(View):
    """The desired state: what to deploy, from where, to where, and how to keep it in sync."""

    _required: ClassVar[tuple[str, ...]] = ("destination", "project")

    source: ApplicationSource | None = None
    """The source of the manifests (single-source applications)."""
    sources: list[ApplicationSource] = field(default_factory=list)
    """The sources of a multi-source application; when set, ``source`` is ignored."""
    destination: ApplicationDestination = field(default_factory=ApplicationDestination)
    """The cluster and namespace to deploy to."""
    project: str = ""
    """The AppProject the application belongs to (``default`` always exists)."""
    sync_policy: SyncPolicy | None = None
    """When and how to sync."""
    ignore_differences: list[ResourceIgnoreDifferences] = field(default_factory=list)
    """Differences between Git and the live state to ignore when comparing."""
    info: list[Info] = field(default_factory=list)
    """Free-form information shown with the application."""
    revision_history_limit: int | None = None
    """How many past syncs ``status.history`` keeps (default 10)."""
    source_hydrator: SourceHydrator | None = None
    """Render manifests from a dry source and commit them to a sync branch (instead of source)."""

    @property
    def has_multiple_sources(self) -> bool:
        """Argo CD uses ``sources`` whenever it is non-empty, ignoring ``source``."""
        return bool(self.sources)

    def get_sources(self) -> list[ApplicationSource]:
        """The sources to render, whichever field holds them."""
        if self.sources:
            return self.sources
        return [self.source] if self.source is not None else []

    @property
    def automated(self) -> bool:
        """Auto-sync is on: ``syncPolicy.automated`` present and not ``enabled: false``."""
        auto = self.sync_policy.automated if self.sync_policy else None
        return auto is not None and auto.enabled is not False

    def _check(self, path: str, errors: list[str]) -> None:
        if self.source is None and not self.sources and self.source_hydrator is None:
            errors.append(f"{path}: set source or sources")
        if self._raw.get("destination") is not None:
            check_destination(self.destination, f"{path}.destination", errors)
        if self.revision_history_limit is not None and self.revision_history_limit < 0:
            errors.append(f"{path}.revisionHistoryLimit: must not be negative")
        refs = [s.ref for s in self.sources if s.ref]
        for dup in sorted({r for r in refs if refs.count(r) > 1}):
            errors.append(f"{path}.sources: ref {dup!r} is used more than once")


@dataclass
class Application(View):
    """An application: manifests from Git or a Helm repository, kept in sync with a cluster."""

    _required: ClassVar[tuple[str, ...]] = ("spec",)
    _always: ClassVar[tuple[str, ...]] = ("api_version", "kind")

    api_version: str = API_VERSION
    kind: str = KIND_APPLICATION
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ApplicationSpec = field(default_factory=ApplicationSpec)
    operation: Operation | None = None
    """A requested sync; the controller runs it and clears it."""
    status: ApplicationStatus = field(default_factory=ApplicationStatus)

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace

    @property
    def qualified_name(self) -> str:
        """``namespace/name``, how Argo CD names apps outside the control-plane namespace."""
        return f"{self.metadata.namespace}/{self.metadata.name}" if self.metadata.namespace else self.name

    @property
    def revision_history_limit(self) -> int:
        limit = self.spec.revision_history_limit
        return DEFAULT_REVISION_HISTORY_LIMIT if limit is None else limit

    @property
    def cascades_on_delete(self) -> bool:
        """Deleting the app deletes its resources (either resources finalizer is set)."""
        finalizers = self.metadata.finalizers
        return RESOURCES_FINALIZER in finalizers or RESOURCES_FINALIZER_BACKGROUND in finalizers

    @property
    def has_post_delete_finalizer(self) -> bool:
        return any(f.startswith(POST_DELETE_FINALIZER) for f in self.metadata.finalizers)

    def _check(self, path: str, errors: list[str]) -> None:
        check_kind(self.api_version, self.kind, KIND_APPLICATION, errors)
