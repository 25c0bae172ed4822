"""``status`` of an Application, in Argo CD's layout, and the words it uses.

Tools built for Argo CD (dashboards, ``kubectl get applications``, scripts
reading ``status.sync.status``) read these fields, so the layout and the
values (``Synced``, ``Healthy``, ``Succeeded``...) are exactly Argo CD's.
Values are kept as plain strings in the views so a value from a newer Argo CD
never breaks reading; the enums below are ``str`` and compare equal to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from argosy.model.base import View
from argosy.model.destination import ApplicationDestination
from argosy.model.hydrator import SourceHydratorStatus
from argosy.model.operation import Operation, OperationInitiator
from argosy.model.source import ApplicationSource


class SyncStatusCode(StrEnum):
    SYNCED = "Synced"
    OUT_OF_SYNC = "OutOfSync"
    UNKNOWN = "Unknown"


class HealthStatusCode(StrEnum):
    """Listed from best to worst: an app's health is its worst resource's (Argo CD's order)."""

    HEALTHY = "Healthy"
    SUSPENDED = "Suspended"
    PROGRESSING = "Progressing"
    MISSING = "Missing"
    DEGRADED = "Degraded"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, value: str) -> HealthStatusCode | None:
        """The status named exactly ``value`` (as Lua scripts return it), or None."""
        try:
            return cls(value)
        except ValueError:
            return None


class OperationPhase(StrEnum):
    """Phase of an operation, and of each hook in it (``hookPhase``)."""

    RUNNING = "Running"
    TERMINATING = "Terminating"
    FAILED = "Failed"
    ERROR = "Error"
    SUCCEEDED = "Succeeded"

    @property
    def completed(self) -> bool:
        return self in (OperationPhase.FAILED, OperationPhase.ERROR, OperationPhase.SUCCEEDED)


class ResultCode(StrEnum):
    """Outcome for one resource in ``operationState.syncResult.resources[].status``."""

    SYNCED = "Synced"
    SYNC_FAILED = "SyncFailed"
    PRUNED = "Pruned"
    PRUNE_SKIPPED = "PruneSkipped"


class SyncPhase(StrEnum):
    """Phases of a sync run in this order; SyncFail only when an earlier phase failed.

    PreDelete and PostDelete are not part of a sync: they run when the
    Application is deleted (see :func:`argosy.engine.sync.plan.plan_deletion_hooks`).
    """

    PRE_SYNC = "PreSync"
    SYNC = "Sync"
    POST_SYNC = "PostSync"
    SYNC_FAIL = "SyncFail"
    PRE_DELETE = "PreDelete"
    POST_DELETE = "PostDelete"


class HookType(StrEnum):
    """Values of the ``argocd.argoproj.io/hook`` annotation."""

    PRE_SYNC = "PreSync"
    SYNC = "Sync"
    POST_SYNC = "PostSync"
    SYNC_FAIL = "SyncFail"
    PRE_DELETE = "PreDelete"
    POST_DELETE = "PostDelete"
    SKIP = "Skip"


class HookDeletePolicy(StrEnum):
    """Values of ``argocd.argoproj.io/hook-delete-policy``; BeforeHookCreation is the default."""

    HOOK_SUCCEEDED = "HookSucceeded"
    HOOK_FAILED = "HookFailed"
    BEFORE_HOOK_CREATION = "BeforeHookCreation"


class ApplicationConditionType(StrEnum):
    """``status.conditions[].type``: names ending in ``Error`` are errors, ``Warning`` warnings."""

    DELETION_ERROR = "DeletionError"
    INVALID_SPEC_ERROR = "InvalidSpecError"
    COMPARISON_ERROR = "ComparisonError"
    SYNC_ERROR = "SyncError"
    UNKNOWN_ERROR = "UnknownError"
    SHARED_RESOURCE_WARNING = "SharedResourceWarning"
    REPEATED_RESOURCE_WARNING = "RepeatedResourceWarning"
    EXCLUDED_RESOURCE_WARNING = "ExcludedResourceWarning"
    ORPHANED_RESOURCE_WARNING = "OrphanedResourceWarning"

    @property
    def is_error(self) -> bool:
        return self.value.endswith("Error")


@dataclass
class HealthStatus(View):
    """Health of the app or of one resource."""

    status: str = ""
    message: str = ""
    last_transition_time: str | None = None


@dataclass
class ResourceIgnoreDifferences(View):
    """Differences to ignore in the resources of a kind (also recorded in ``comparedTo``)."""

    _required: ClassVar[tuple[str, ...]] = ("kind",)

    group: str = ""
    """API group of the resources (empty for the core group)."""
    kind: str = ""
    """Kind of the resources."""
    name: str = ""
    """Only the resource of this name."""
    namespace: str = ""
    """Only resources in this namespace."""
    json_pointers: list[str] = field(default_factory=list)
    """Fields to ignore, as JSON pointers (``/spec/replicas``)."""
    jq_path_expressions: list[str] = field(default_factory=list)
    """Fields to ignore, as jq paths (``.spec.template.spec.containers[] | select(.name == "x")``)."""
    managed_fields_managers: list[str] = field(default_factory=list)
    """Ignore the fields these field managers own (e.g. ``kube-controller-manager``)."""


@dataclass
class ComparedTo(View):
    """The spec a comparison was made against, so a stale status is recognisable."""

    source: ApplicationSource | None = None
    sources: list[ApplicationSource] = field(default_factory=list)
    destination: ApplicationDestination = field(default_factory=ApplicationDestination)
    ignore_differences: list[ResourceIgnoreDifferences] = field(default_factory=list)


@dataclass
class SyncStatus(View):
    """``status.sync``: is the live state what Git says, at which revision."""

    status: str = ""
    compared_to: ComparedTo | None = None
    revision: str = ""
    revisions: list[str] = field(default_factory=list)


@dataclass
class ResourceStatus(View):
    """One ``status.resources[]`` entry: a resource the app manages."""

    group: str = ""
    version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""
    status: str = ""
    health: HealthStatus | None = None
    hook: bool = False
    requires_pruning: bool = False
    sync_wave: int = 0
    requires_deletion_confirmation: bool = False
    diff: list[str] = field(default_factory=list)
    """Argosy's addition: paths of the fields that differ from Git (values are never recorded)."""


@dataclass
class ApplicationSummary(View):
    _json_keys: ClassVar[dict[str, str]] = {"external_urls": "externalURLs"}

    external_urls: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    is_app_of_apps: bool = False


@dataclass
class ApplicationCondition(View):
    """A problem or warning about the app, shown to users (``type`` is an ``ApplicationConditionType``)."""

    type: str = ""
    message: str = ""
    last_transition_time: str | None = None


@dataclass
class ResourceResult(View):
    """What a sync did to one resource (``syncResult.resources[]``)."""

    group: str = ""
    version: str = ""
    kind: str = ""
    namespace: str = ""
    name: str = ""
    status: str = ""
    message: str = ""
    hook_type: str = ""
    hook_phase: str = ""
    sync_phase: str = ""
    images: list[str] = field(default_factory=list)
    started_at: str = ""
    """Argosy's addition: when the sync started applying (or running) this resource."""
    finished_at: str = ""
    """Argosy's addition: when that finished."""


@dataclass
class ManagedNamespaceMetadata(View):
    """Labels and annotations for a namespace created by ``CreateNamespace=true``."""

    labels: dict[str, str] = field(default_factory=dict)
    """Labels set on the namespace."""
    annotations: dict[str, str] = field(default_factory=dict)
    """Annotations set on the namespace."""


@dataclass
class SyncOperationResult(View):
    revision: str = ""
    revisions: list[str] = field(default_factory=list)
    source: ApplicationSource | None = None
    sources: list[ApplicationSource] = field(default_factory=list)
    resources: list[ResourceResult] = field(default_factory=list)
    managed_namespace_metadata: ManagedNamespaceMetadata | None = None


@dataclass
class OperationState(View):
    """``status.operationState``: progress of the current or last operation; a restart resumes from it."""

    operation: Operation = field(default_factory=Operation)
    phase: str = ""
    message: str = ""
    sync_result: SyncOperationResult | None = None
    started_at: str = ""
    finished_at: str | None = None
    retry_count: int = 0


@dataclass
class RevisionHistory(View):
    """One ``status.history[]`` entry: a completed sync, the target of a rollback by ``id``."""

    id: int = 0
    revision: str = ""
    revisions: list[str] = field(default_factory=list)
    source: ApplicationSource | None = None
    sources: list[ApplicationSource] = field(default_factory=list)
    deployed_at: str = ""
    deploy_started_at: str | None = None
    initiated_by: OperationInitiator | None = None


@dataclass
class ApplicationStatus(View):
    """``status`` of an Application, written by the controller."""

    _preserve_unknown: ClassVar[bool] = True

    resources: list[ResourceStatus] = field(default_factory=list)
    sync: SyncStatus = field(default_factory=SyncStatus)
    health: HealthStatus = field(default_factory=HealthStatus)
    history: list[RevisionHistory] = field(default_factory=list)
    conditions: list[ApplicationCondition] = field(default_factory=list)
    reconciled_at: str | None = None
    operation_state: OperationState | None = None
    observed_at: str | None = None
    source_type: str = ""
    source_types: list[str] = field(default_factory=list)
    summary: ApplicationSummary = field(default_factory=ApplicationSummary)
    resource_health_source: str = ""
    controller_namespace: str = ""
    source_hydrator: SourceHydratorStatus | None = None

    def condition(self, type_: str) -> ApplicationCondition | None:
        """The condition of this type, if any (Argo CD keeps at most one per type)."""
        return next((c for c in self.conditions if c.type == type_), None)
