"""Sync, rollback and terminate: requests written into the Application for the controller to run.

The server never touches the destination cluster. A sync or rollback writes
the Application's ``operation`` field (``sync`` plus ``initiatedBy``), as Argo
CD does; the controller picks it up and records progress in
``status.operationState``. Only one operation runs at a time: asking while
one is pending answers 409. Terminating sets
``status.operationState.phase: Terminating``; the controller stops the run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from argosy.engine.sync.retry import parse_retry
from argosy.engine.syncwindows import SyncWindowError, SyncWindows
from argosy.server.apps import get_authorized_app, project_of, rbac_object, update_app
from argosy.server.auth.sessions import Caller
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import ABORTED, FAILED_PRECONDITION, INVALID_ARGUMENT, PERMISSION_DENIED, APIError

router = APIRouter(tags=["ApplicationService"])

OPERATION_IN_PROGRESS = "another operation is already in progress"


class SyncOptionsList(BaseModel):
    items: list[str] = Field(default_factory=list)


class SyncRequest(BaseModel):
    name: str = ""
    appNamespace: str = ""
    revision: str = ""
    dryRun: bool = False
    prune: bool = False
    strategy: dict[str, Any] | None = None
    resources: list[dict[str, Any]] | None = None
    syncOptions: SyncOptionsList | None = None
    retryStrategy: dict[str, Any] | None = None
    infos: list[dict[str, Any]] | None = None
    manifests: list[str] | None = None


def _set_operation(
    ctx: Ctx, app: dict[str, Any], operation: dict[str, Any], *, disable_auto_sync: bool = False
) -> dict[str, Any]:
    """Write ``operation`` (and, for a rollback, remove ``syncPolicy.automated``) in one update,
    so the controller never sees the rollback without the switch-off nor the reverse."""
    name = app["metadata"]["name"]

    def mutate(current: dict[str, Any]) -> None:
        if current.get("operation"):
            raise APIError(
                ABORTED,
                f"{OPERATION_IN_PROGRESS} on application '{name}': wait for it to finish or terminate it "
                f"(DELETE /api/v1/applications/{name}/operation)",
                http_status=409,
            )
        current["operation"] = operation
        (current.setdefault("status", {})).pop("operationState", None)
        policy = (current.get("spec") or {}).get("syncPolicy")
        if disable_auto_sync and isinstance(policy, dict):
            policy.pop("automated", None)

    return update_app(ctx, name, app["metadata"]["namespace"], mutate)


def _initiated_by(caller: Caller) -> dict[str, Any]:
    return {"username": caller.username}


def _source(app: dict[str, Any]) -> dict[str, Any]:
    spec = app.get("spec") or {}
    if isinstance(spec.get("source"), dict):
        return dict(spec["source"])
    sources = spec.get("sources") or []
    return dict(sources[0]) if sources and isinstance(sources[0], dict) else {}


def _app_windows(ctx: Ctx, app: dict[str, Any]) -> SyncWindows:
    """The windows of the app's project that apply to it (the sync route and the syncwindows
    route read them the same way, so what the panel shows is what a sync meets)."""
    project = ctx.get_project(project_of(app))
    if project is None:
        raise APIError(
            INVALID_ARGUMENT,
            f"application references project {project_of(app)} which does not exist: create it first",
        )
    return SyncWindows.from_project(project).matches(app)


def _check_windows(ctx: Ctx, app: dict[str, Any]) -> None:
    decision = _app_windows(ctx, app).decide(datetime.now(UTC), manual=True)
    if not decision.allowed:
        raise APIError(PERMISSION_DENIED, f"cannot sync: blocked by sync window ({decision.reason})")


@router.get("/api/v1/applications/{name}/syncwindows")
def application_sync_windows(name: str, caller: Auth, ctx: Ctx, appNamespace: str = "") -> dict[str, Any]:
    """Argo CD's GetApplicationSyncWindows: the windows assigned to the app, those open now and
    whether a manual sync would pass now, so the sync panel can warn before a sync is refused.
    ``reason`` (not in Argo CD) is the same explanation a refused sync gives."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    windows = _app_windows(ctx, app)
    now = datetime.now(UTC)
    decision = windows.decide(now, manual=True)
    try:
        active = [w.to_dict() for w in windows.active(now)]
    except SyncWindowError:  # an unreadable window: decision.reason names it
        active = []
    return {
        "assignedWindows": [w.to_dict() for w in windows],
        "activeWindows": active,
        "canSync": decision.allowed,
        "reason": decision.reason,
    }


@router.post("/api/v1/applications/{name}/sync")
def sync_application(name: str, body: SyncRequest, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    app = get_authorized_app(ctx, caller, name, "sync", body.appNamespace)
    _check_windows(ctx, app)
    spec = app.get("spec") or {}
    automated = (spec.get("syncPolicy") or {}).get("automated") is not None
    if body.manifests is not None:
        ctx.enforce(caller, "applications", "override", rbac_object(ctx, app))
        if automated and not body.dryRun:
            raise APIError(
                FAILED_PRECONDITION,
                "cannot use local sync when Automatic Sync Policy is enabled unless for dry run",
            )
    if (app.get("metadata") or {}).get("deletionTimestamp"):
        raise APIError(FAILED_PRECONDITION, f"application '{name}' is deleting")
    target = str(_source(app).get("targetRevision") or "")
    if automated and body.revision and body.revision != (target or "HEAD"):
        raise APIError(
            FAILED_PRECONDITION,
            f"Cannot sync to {body.revision}: auto-sync currently set to {target or 'HEAD'} "
            "(disable automated sync to sync another revision)",
        )
    policy = spec.get("syncPolicy") or {}
    sync: dict[str, Any] = {"revision": body.revision or target, "prune": body.prune, "dryRun": body.dryRun}
    sync_options = body.syncOptions.items if body.syncOptions is not None else policy.get("syncOptions")
    if sync_options:
        sync["syncOptions"] = list(sync_options)
    if body.strategy:
        sync["syncStrategy"] = body.strategy
    if body.resources:
        sync["resources"] = body.resources
    if body.manifests is not None:
        sync["manifests"] = body.manifests
    operation: dict[str, Any] = {"sync": sync, "initiatedBy": _initiated_by(caller)}
    if body.retryStrategy is not None:
        # Refused here rather than silently replaced by defaults when the controller reads it.
        _, problems = parse_retry(body.retryStrategy, field="retryStrategy")
        if problems:
            raise APIError(
                INVALID_ARGUMENT, f"sync of '{name}' refused: " + "; ".join(str(p) for p in problems)
            )
    retry = body.retryStrategy or policy.get("retry")
    if retry:
        operation["retry"] = retry
    if body.infos:
        operation["info"] = body.infos
    return _set_operation(ctx, app, operation)


class RollbackRequest(BaseModel):
    name: str = ""
    appNamespace: str = ""
    id: int = 0
    dryRun: bool = False
    prune: bool = False


#: Sent with a rollback that switched automated sync off (RFC 7234 warn-code 299, as Kubernetes warns).
AUTO_SYNC_DISABLED = "automated sync of application '{name}' was disabled so the rollback stays in place"


@router.post("/api/v1/applications/{name}/rollback")
def rollback_application(
    name: str, body: RollbackRequest, caller: Auth, ctx: Ctx, response: Response
) -> dict[str, Any]:
    """Sync the revision and source recorded in ``status.history`` under ``id``.

    Automated sync would undo a rollback at once, so the rollback removes
    ``spec.syncPolicy.automated`` in the same update that writes the
    operation, as Argo CD's UI and CLI rollback flow do (Argo CD's API
    refuses instead and leaves the switch-off to the client). The returned
    Application shows it, and a ``Warning`` header says so; re-enable it with
    ``argosy app set NAME --sync-policy automated`` once Git is fixed.
    A dry run changes nothing, so it leaves automated sync alone.
    """
    app = get_authorized_app(ctx, caller, name, "sync", body.appNamespace)
    if (app.get("metadata") or {}).get("deletionTimestamp"):
        raise APIError(FAILED_PRECONDITION, f"application '{name}' is deleting")
    policy = (app.get("spec") or {}).get("syncPolicy") or {}
    disable = policy.get("automated") is not None and not body.dryRun
    if disable:
        # Switching automated sync off is an update of the app, beyond the sync permission.
        ctx.enforce(caller, "applications", "update", rbac_object(ctx, app))
    history = ((app.get("status") or {}).get("history")) or []
    entry = next((h for h in history if isinstance(h, dict) and int(h.get("id", -1)) == body.id), None)
    if entry is None:
        known = ", ".join(str(h.get("id")) for h in history if isinstance(h, dict)) or "none"
        raise APIError(
            INVALID_ARGUMENT,
            f"application {name} does not have deployment with id {body.id} (known: {known})",
        )
    if not entry.get("source"):
        raise APIError(
            FAILED_PRECONDITION,
            f"history id {body.id} of application '{name}' records no source: sync to its revision instead",
        )
    sync: dict[str, Any] = {
        "revision": entry.get("revision", ""),
        "dryRun": body.dryRun,
        "prune": body.prune,
        "syncStrategy": {"apply": {}},
        "source": entry["source"],
    }
    if policy.get("syncOptions"):
        sync["syncOptions"] = list(policy["syncOptions"])
    updated = _set_operation(
        ctx, app, {"sync": sync, "initiatedBy": _initiated_by(caller)}, disable_auto_sync=disable
    )
    if disable:
        response.headers["Warning"] = f'299 argosy "{AUTO_SYNC_DISABLED.format(name=name)}"'
    return updated


@router.delete("/api/v1/applications/{name}/operation")
def terminate_operation(name: str, caller: Auth, ctx: Ctx, appNamespace: str = "") -> dict[str, Any]:
    app = get_authorized_app(ctx, caller, name, "sync", appNamespace)

    def mutate(current: dict[str, Any]) -> None:
        state = (current.get("status") or {}).get("operationState")
        if not current.get("operation") or not isinstance(state, dict):
            raise APIError(
                INVALID_ARGUMENT,
                f"Unable to terminate operation. No operation is in progress on application '{name}'",
            )
        state["phase"] = "Terminating"

    update_app(ctx, name, app["metadata"]["namespace"], mutate)
    return {}
