"""Argo CD's resources, ``argoproj.io/v1alpha1`` Application, AppProject and ApplicationSet.

Argosy reads and writes the same objects as Argo CD, with the same field
names and status layout, so manifests, dashboards and scripts made for Argo CD
keep working. Objects travel through Argosy as plain JSON dicts, exactly as
the Kubernetes API returns them; this package gives typed views of them:

    app = Application.from_dict(obj)
    if app.errors:            # ["spec.source.repoURL is required", ...]
        ...                   # -> an InvalidSpecError condition, never a crash
    app.status.sync.status = SyncStatusCode.SYNCED
    obj = app.to_dict()       # everything we do not model is kept as it was

The views are the one description of the resources' shape: the
CustomResourceDefinitions in ``argosy.model.crds`` (``crd_manifests()``) get
their OpenAPI schemas from them (``argosy.model.schema``), so the API server
refuses what the views cannot read. See docs/resources.md for the fields.
"""

from argosy.model.application import (
    Application,
    ApplicationSpec,
    SyncPolicy,
    SyncPolicyAutomated,
)
from argosy.model.applicationset import (
    ApplicationSet,
    ApplicationSetSpec,
    ApplicationSetStatus,
    ApplicationsSyncPolicy,
)
from argosy.model.base import View
from argosy.model.constants import (
    ANNOTATION_COMPARE_OPTIONS,
    ANNOTATION_HOOK,
    ANNOTATION_HOOK_DELETE_POLICY,
    ANNOTATION_MANIFEST_GENERATE_PATHS,
    ANNOTATION_REFRESH,
    ANNOTATION_SYNC_OPTIONS,
    ANNOTATION_SYNC_WAVE,
    ANNOTATION_TRACKING_ID,
    API_VERSION,
    LABEL_INSTANCE,
    POST_DELETE_FINALIZER,
    RESOURCES_FINALIZER,
    RESOURCES_FINALIZER_BACKGROUND,
)
from argosy.model.crds import crd_manifests
from argosy.model.destination import ApplicationDestination
from argosy.model.generators import ApplicationSetTemplate, Generator
from argosy.model.meta import ObjectMeta
from argosy.model.operation import Operation, OperationInitiator, RetryStrategy, SyncOperation
from argosy.model.project import AppProject, AppProjectSpec, ProjectRole, SyncWindow
from argosy.model.source import ApplicationSource, HelmSource
from argosy.model.status import (
    ApplicationCondition,
    ApplicationConditionType,
    ApplicationStatus,
    HealthStatus,
    HealthStatusCode,
    HookDeletePolicy,
    HookType,
    OperationPhase,
    OperationState,
    ResourceResult,
    ResourceStatus,
    ResultCode,
    RevisionHistory,
    SyncPhase,
    SyncStatus,
    SyncStatusCode,
)

__all__ = [
    "ANNOTATION_COMPARE_OPTIONS",
    "ANNOTATION_HOOK",
    "ANNOTATION_HOOK_DELETE_POLICY",
    "ANNOTATION_MANIFEST_GENERATE_PATHS",
    "ANNOTATION_REFRESH",
    "ANNOTATION_SYNC_OPTIONS",
    "ANNOTATION_SYNC_WAVE",
    "ANNOTATION_TRACKING_ID",
    "API_VERSION",
    "LABEL_INSTANCE",
    "POST_DELETE_FINALIZER",
    "RESOURCES_FINALIZER",
    "RESOURCES_FINALIZER_BACKGROUND",
    "AppProject",
    "AppProjectSpec",
    "Application",
    "ApplicationCondition",
    "ApplicationConditionType",
    "ApplicationDestination",
    "ApplicationSet",
    "ApplicationSetSpec",
    "ApplicationSetStatus",
    "ApplicationSetTemplate",
    "ApplicationSource",
    "ApplicationSpec",
    "ApplicationStatus",
    "ApplicationsSyncPolicy",
    "Generator",
    "HealthStatus",
    "HealthStatusCode",
    "HelmSource",
    "HookDeletePolicy",
    "HookType",
    "ObjectMeta",
    "Operation",
    "OperationInitiator",
    "OperationPhase",
    "OperationState",
    "ProjectRole",
    "ResourceResult",
    "ResourceStatus",
    "ResultCode",
    "RetryStrategy",
    "RevisionHistory",
    "SyncOperation",
    "SyncPhase",
    "SyncPolicy",
    "SyncPolicyAutomated",
    "SyncStatus",
    "SyncStatusCode",
    "SyncWindow",
    "View",
    "crd_manifests",
]
