"""Hook lifecycle: when a hook is finished, and when it is deleted.

A hook (Job, Pod, or any object annotated ``argocd.argoproj.io/hook``) is
*running* until its health says otherwise, as in Argo CD:

* Healthy, or a kind without health (a ConfigMap hook) → ``Succeeded``;
* Degraded or Unknown (a failed Job, a failed Pod) → ``Failed``;
* Progressing or Suspended → still ``Running``.

An ordinary object in a wave that is not the last is waited on too: Healthy →
``Succeeded``, Degraded → ``Failed`` (the sync fails), anything else keeps the
next wave waiting.

Delete policies (``argocd.argoproj.io/hook-delete-policy``):

* ``BeforeHookCreation`` (the default): an existing hook of the same name is
  deleted, and its deletion awaited, before the hook is created again;
* ``HookSucceeded``: deleted when the sync succeeded;
* ``HookFailed``: deleted when the sync failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argosy.engine.health import HealthStatusCode, assess
from argosy.engine.sync import HookDeletePolicy, SyncTask
from argosy.model.status import OperationPhase
from argosy.settings.resource_customizations import ResourceOverride


def hook_phase(live: Mapping[str, Any], overrides: Mapping[str, ResourceOverride]) -> tuple[str, str]:
    """``(hookPhase, message)`` of a live hook, from its health."""
    name = str((live.get("metadata") or {}).get("name") or "")
    result = assess(live, overrides)
    if result is None:
        return OperationPhase.SUCCEEDED.value, f"{name} created"
    if result.status in (HealthStatusCode.DEGRADED, HealthStatusCode.UNKNOWN):
        return OperationPhase.FAILED.value, result.message or f"{name} failed ({result.status})"
    if result.status is HealthStatusCode.HEALTHY:
        return OperationPhase.SUCCEEDED.value, result.message
    return OperationPhase.RUNNING.value, result.message


def resource_phase(
    live: Mapping[str, Any], overrides: Mapping[str, ResourceOverride]
) -> tuple[str | None, str]:
    """``(hookPhase, message)`` of an applied object being waited on; phase None while not there yet."""
    result = assess(live, overrides)
    if result is None or result.status is HealthStatusCode.HEALTHY:
        return OperationPhase.SUCCEEDED.value, result.message if result else ""
    if result.status is HealthStatusCode.DEGRADED:
        return OperationPhase.FAILED.value, result.message or "Degraded"
    return None, result.message


def _has(task: SyncTask, policy: HookDeletePolicy) -> bool:
    return task.hook is not None and task.hook.has_policy(policy)


def deletes_before_creation(task: SyncTask) -> bool:
    return _has(task, HookDeletePolicy.BEFORE_HOOK_CREATION)


def deletes_on_success(task: SyncTask) -> bool:
    return _has(task, HookDeletePolicy.HOOK_SUCCEEDED)


def deletes_on_failure(task: SyncTask) -> bool:
    return _has(task, HookDeletePolicy.HOOK_FAILED)


def waiting_message(what: str, running: list[str], hooks: bool) -> str:
    """Argo CD's "waiting for completion of hook batch/Job/migrate and 2 more hooks"."""
    reason = "completion of hook" if hooks else what
    first = running[0]
    more = len(running) - 1
    noun = "hooks" if hooks else "resources"
    return f"waiting for {reason} {first}" + (f" and {more} more {noun}" if more else "")
