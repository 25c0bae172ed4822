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

The names below load their module on first use, so importing one constant does
not load every view (the CLI starts faster).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

_EXPORTS: dict[str, str] = {
    "Application": "argosy.model.application",
    "ApplicationSpec": "argosy.model.application",
    "SyncPolicy": "argosy.model.application",
    "SyncPolicyAutomated": "argosy.model.application",
    "ApplicationSet": "argosy.model.applicationset",
    "ApplicationSetSpec": "argosy.model.applicationset",
    "ApplicationSetStatus": "argosy.model.applicationset",
    "ApplicationsSyncPolicy": "argosy.model.applicationset",
    "View": "argosy.model.base",
    "ANNOTATION_COMPARE_OPTIONS": "argosy.model.constants",
    "ANNOTATION_HOOK": "argosy.model.constants",
    "ANNOTATION_HOOK_DELETE_POLICY": "argosy.model.constants",
    "ANNOTATION_MANIFEST_GENERATE_PATHS": "argosy.model.constants",
    "ANNOTATION_REFRESH": "argosy.model.constants",
    "ANNOTATION_SYNC_OPTIONS": "argosy.model.constants",
    "ANNOTATION_SYNC_WAVE": "argosy.model.constants",
    "ANNOTATION_TRACKING_ID": "argosy.model.constants",
    "API_VERSION": "argosy.model.constants",
    "LABEL_INSTANCE": "argosy.model.constants",
    "POST_DELETE_FINALIZER": "argosy.model.constants",
    "RESOURCES_FINALIZER": "argosy.model.constants",
    "RESOURCES_FINALIZER_BACKGROUND": "argosy.model.constants",
    "crd_manifests": "argosy.model.crds",
    "ApplicationDestination": "argosy.model.destination",
    "ApplicationSetTemplate": "argosy.model.generators",
    "Generator": "argosy.model.generators",
    "ObjectMeta": "argosy.model.meta",
    "Operation": "argosy.model.operation",
    "OperationInitiator": "argosy.model.operation",
    "RetryStrategy": "argosy.model.operation",
    "SyncOperation": "argosy.model.operation",
    "AppProject": "argosy.model.project",
    "AppProjectSpec": "argosy.model.project",
    "ProjectRole": "argosy.model.project",
    "SyncWindow": "argosy.model.project",
    "ApplicationSource": "argosy.model.source",
    "HelmSource": "argosy.model.source",
    "ApplicationCondition": "argosy.model.status",
    "ApplicationConditionType": "argosy.model.status",
    "ApplicationStatus": "argosy.model.status",
    "HealthStatus": "argosy.model.status",
    "HealthStatusCode": "argosy.model.status",
    "HookDeletePolicy": "argosy.model.status",
    "HookType": "argosy.model.status",
    "OperationPhase": "argosy.model.status",
    "OperationState": "argosy.model.status",
    "ResourceResult": "argosy.model.status",
    "ResourceStatus": "argosy.model.status",
    "ResultCode": "argosy.model.status",
    "RevisionHistory": "argosy.model.status",
    "SyncPhase": "argosy.model.status",
    "SyncStatus": "argosy.model.status",
    "SyncStatusCode": "argosy.model.status",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


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
