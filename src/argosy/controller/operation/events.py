"""Kubernetes Events the runner records on the Application, with Argo CD's reasons.

* ``OperationStarted`` (Normal): a sync began (not repeated when resuming; for an automated
  sync the reconciler records it, with the write that starts it);
* (``ResourceUpdated`` is the reconciler's, as in Argo CD: "Updated sync status: A -> B" and
  "Updated health status: A -> B" when the app's status changes — one per transition, not one
  per object written, which cost a fleet's sync ten API writes per app;)
* ``SyncFailed`` (Warning): one object could not be written or its hook failed;
* ``OperationCompleted``: Normal when the sync succeeded, Warning when it failed,
  with Argo CD's wording ("Sync operation to <rev> succeeded" / "... failed: <why>").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from argosy.controller.operation.ports import AppPort
from argosy.model.status import OperationPhase

OPERATION_STARTED: Final = "OperationStarted"
OPERATION_COMPLETED: Final = "OperationCompleted"
SYNC_FAILED: Final = "SyncFailed"
RESOURCE_DELETED: Final = "ResourceDeleted"
NORMAL: Final = "Normal"
WARNING: Final = "Warning"


def _what(operation: Mapping[str, Any]) -> str:
    sync = operation.get("sync")
    partial = isinstance(sync, Mapping) and bool(sync.get("resources"))
    return "Partial sync operation" if partial else "Sync operation"


def initiator(operation: Mapping[str, Any]) -> str:
    """Who asked for the operation: ``automated`` (auto-sync, self-heal), the user name, or ""."""
    by = operation.get("initiatedBy")
    if isinstance(by, Mapping):
        if by.get("automated"):
            return "automated"
        if by.get("username"):
            return str(by["username"])
    return ""


def _initiator(operation: Mapping[str, Any]) -> str:
    who = initiator(operation)
    return "automated sync policy" if who == "automated" else who or "unknown user"


def started_message(operation: Mapping[str, Any], revision: str) -> str:
    """The ``OperationStarted`` Event's message (the runner's, or the reconciler's for an
    automated sync it records as started)."""
    target = revision or "(unknown revision)"
    return f"{_what(operation)} to {target} started, initiated by {_initiator(operation)}"


def started(port: AppPort, operation: Mapping[str, Any], revision: str) -> None:
    port.emit_event(OPERATION_STARTED, started_message(operation, revision), NORMAL)


def completed(port: AppPort, operation: Mapping[str, Any], revision: str, phase: str, message: str) -> None:
    head = f"{_what(operation)} to {revision or '(unknown revision)'}"
    if phase == OperationPhase.SUCCEEDED.value:
        port.emit_event(OPERATION_COMPLETED, f"{head} succeeded", NORMAL)
    else:
        port.emit_event(OPERATION_COMPLETED, f"{head} failed: {message}", WARNING)


def resource_failed(port: AppPort, what: str, message: str) -> None:
    port.emit_event(SYNC_FAILED, f"{what}: {message}", WARNING)
