"""Builders for the sync planner tests: small Kubernetes objects as plain dicts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from argosy.engine.sync import DesiredObject, SyncRequest
from argosy.model.status import SyncStatusCode

STARTED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
REVISION = "0123456789abcdef0123456789abcdef01234567"


def obj(
    kind: str,
    name: str,
    namespace: str = "",
    *,
    api: str = "v1",
    annotations: dict[str, str] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    return {"apiVersion": api, "kind": kind, "metadata": meta, **extra}


def wave(n: int | str) -> dict[str, str]:
    return {"argocd.argoproj.io/sync-wave": str(n)}


def hook(
    kind: str, name: str, namespace: str, hook_types: str, extra: dict[str, str] | None = None
) -> dict[str, Any]:
    notes = {"argocd.argoproj.io/hook": hook_types, **(extra or {})}
    return obj(kind, name, namespace, api="batch/v1" if kind == "Job" else "v1", annotations=notes)


def crd(group: str, kind: str, plural: str, **extra_annotations: str) -> dict[str, Any]:
    return obj(
        "CustomResourceDefinition",
        f"{plural}.{group}",
        api="apiextensions.k8s.io/v1",
        annotations=extra_annotations or None,
        spec={"group": group, "names": {"kind": kind, "plural": plural}, "scope": "Namespaced"},
    )


def desired(
    *objs: dict[str, Any], status: SyncStatusCode = SyncStatusCode.OUT_OF_SYNC
) -> list[DesiredObject]:
    return [DesiredObject(o, o, status) for o in objs]


def missing(*objs: dict[str, Any]) -> list[DesiredObject]:
    return [DesiredObject(o, None, SyncStatusCode.OUT_OF_SYNC) for o in objs]


def request(**kwargs: Any) -> SyncRequest:
    kwargs.setdefault("revision", REVISION)
    kwargs.setdefault("started_at", STARTED)
    return SyncRequest(**kwargs)
