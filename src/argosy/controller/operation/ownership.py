"""Deleting only what the application owns: the one door every delete goes through.

A GitOps controller deletes in many places — cascade deletion of an
Application, prune, hook clean-up (``BeforeHookCreation``, ``HookSucceeded``,
``HookFailed``, terminate), ``Replace=true,Force=true`` (delete and re-create)
and the children of an app of apps, which are Applications deleted like any
other object. Each of them calls :func:`delete_owned`, which

1. reads the object fresh (a decision on a stale copy could hit a successor);
2. asks :func:`argosy.engine.tracking.may_delete` whether this app's tracking
   metadata (label or annotation, and the installation ID) is on it — an
   object tracked by another app, or by nobody, is **kept**;
3. deletes exactly what it read (UID and resourceVersion preconditions): when
   the object changed in between — another app's sync took it over, say —
   the API server refuses, and the decision is made again on a fresh read;
4. says so: one log line per deletion or skip (app, object, reason) and an
   Event on the Application (``ResourceDeleted`` / ``DeletionSkipped``).

This is Argo CD's contract (its deletion and prune act on objects whose
tracking names the app); writing it once keeps every path honest.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from argosy.controller.operation.ports import (
    AppPort,
    ClusterPort,
    RunnerConfig,
    is_conflict,
    is_not_found,
)
from argosy.engine.sync import PropagationPolicy, ResourceKey
from argosy.engine.tracking import DeletionVerdict, TrackingSettings, instance_name, may_delete

log = logging.getLogger(__name__)

DELETION_SKIPPED = "DeletionSkipped"
DECISION_ATTEMPTS = 5
"""Fresh reads and decisions per delete when the object keeps changing under it."""
RESOURCE_DELETED = "ResourceDeleted"


class DeleteReason(StrEnum):
    """Why the controller deletes an object; shown in logs, Events and results."""

    CASCADE = "cascade"
    PRUNE = "prune"
    HOOK = "hook"
    REPLACE = "replace"
    TERMINATE = "terminate"


class Deleted(StrEnum):
    DELETED = "deleted"
    GONE = "gone"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Ownership:
    """Which application is deleting, and how this installation tracks objects."""

    instance: str
    tracking: TrackingSettings

    @classmethod
    def of(cls, app: Mapping[str, Any], config: RunnerConfig) -> Ownership:
        """The app's instance name as its objects' tracking metadata spells it."""
        meta = app.get("metadata") or {}
        name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        return cls(instance_name(name, namespace, config.control_plane_namespace), config.tracking)

    def verdict(self, live: Mapping[str, Any], desired: Mapping[str, Any] | None = None) -> DeletionVerdict:
        return may_delete(dict(live), self.instance, self.tracking, dict(desired) if desired else None)


@dataclass(frozen=True)
class DeleteOutcome:
    result: Deleted
    key: str
    reason: str = ""
    """Why it was skipped (empty otherwise)."""

    def describe(self) -> str:
        return f"{self.key} ({self.reason})" if self.reason else self.key


def delete_owned(
    cluster: ClusterPort,
    app_port: AppPort,
    obj: Mapping[str, Any],
    ownership: Ownership,
    *,
    why: DeleteReason,
    propagation: PropagationPolicy,
    desired: Mapping[str, Any] | None = None,
) -> DeleteOutcome:
    """Delete ``obj`` when the app owns it; keep (and report) it otherwise.

    ``obj`` needs only apiVersion, kind and metadata name/namespace; the live
    object is read fresh. Errors from the cluster other than "not found"
    propagate (the caller records or retries them).
    """
    for attempt in range(DECISION_ATTEMPTS):
        live = cluster.get(obj)
        key = str(ResourceKey.of(dict(live if live is not None else obj)))
        if live is None:
            return DeleteOutcome(Deleted.GONE, key)
        verdict = ownership.verdict(live, desired)
        if not verdict.allowed:
            message = f"Kept {key}: {verdict.reason} ({why} of application {ownership.instance!r} skipped it)"
            log.warning("application %s: %s", ownership.instance, message)
            app_port.emit_event(DELETION_SKIPPED, message, "Warning")
            return DeleteOutcome(Deleted.SKIPPED, key, verdict.reason)
        meta = live.get("metadata") or {}
        uid, version = meta.get("uid"), meta.get("resourceVersion")
        try:
            cluster.delete(
                obj,
                propagation=propagation,
                uid=str(uid) if uid else None,
                resource_version=str(version) if version else None,
            )
        except Exception as exc:
            if is_not_found(exc):
                return DeleteOutcome(Deleted.GONE, key)
            if is_conflict(exc) and attempt + 1 < DECISION_ATTEMPTS and _same_incarnation(cluster, obj, uid):
                continue  # changed since it was read: decide again on what is there now
            raise
        log.info("application %s: deleted %s (%s)", ownership.instance, key, why)
        app_port.emit_event(RESOURCE_DELETED, f"Deleted {key} ({why})", "Normal")
        return DeleteOutcome(Deleted.DELETED, key)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _same_incarnation(cluster: ClusterPort, obj: Mapping[str, Any], uid: Any) -> bool:
    """Whether the object at ``obj``'s name is still the one with ``uid`` (a successor is
    never deleted on a decision made about its predecessor; a gone one needs no retry)."""
    live = cluster.get(obj)
    return live is not None and (live.get("metadata") or {}).get("uid") == uid
