"""Reconcile one Application: render, compare, write status, decide automated sync.

One call handles one app key from the work queue and never raises: every
failure (unknown project or cluster, unreachable cluster, failed render,
invalid ignore rule) becomes a condition on the app, the previous resources
are kept, and nothing is pruned or synced on a comparison that did not happen.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from argosy.appstate.compare import Comparison
from argosy.appstate.pipeline import AppState, ComparisonFailed
from argosy.appstate.settings import DEFAULT_RECONCILIATION_SECONDS, ControllerSettings
from argosy.controller.operation.events import OPERATION_STARTED, started_message
from argosy.controller.operation.state import OperationRecord, timestamp
from argosy.controller.status import (
    changed,
    comparison_status,
    failed_comparison_status,
    merge_conditions,
    now_iso,
    status_transitions,
)
from argosy.engine.sync import (
    AutomatedPolicy,
    LastSync,
    ResourceState,
    SelfHealSettings,
    auto_sync_operation,
    decide_auto_sync,
)
from argosy.engine.sync.autosync import image_overrides, recorded_image_overrides
from argosy.engine.syncwindows import SyncDecision, SyncWindows
from argosy.logs import fields
from argosy.repo import RenderResult

log = logging.getLogger(__name__)
Obj = dict[str, Any]
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"


class ControlPlane(Protocol):
    """Writes on the control-plane cluster the reconciler needs (reads go through :class:`AppState`)."""

    def patch_app(self, namespace: str, name: str, patch: Obj) -> Obj | None: ...

    def emit_event(self, app: Obj, reason: str, message: str, type_: str = "Normal") -> None: ...


@dataclass
class Outcome:
    """What one reconcile did, for metrics and for scheduling the next one."""

    requeue_after: float | None = None
    wrote_status: bool = False
    started_sync: bool = False
    comparison: Comparison | None = None
    error: str = ""
    blocked_by_window: str = ""
    revision: str = ""


def window_decision(project: Obj, app: Obj, now: datetime, *, manual: bool) -> SyncDecision | None:
    """The sync-window verdict for ``app`` now (None when no window of its project matches it)."""
    windows = SyncWindows.from_project(project).matches(app)
    if not len(windows):
        return None
    return windows.decide(now, manual=manual)


def _cond(type_: str, message: str) -> dict[str, str]:
    return {"type": type_, "message": message}


class Reconciler:
    """Stateless apart from its collaborators; safe to call from several workers (per-key exclusive)."""

    def __init__(
        self,
        control_plane: ControlPlane,
        state: AppState,
        settings: Callable[[], ControllerSettings],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cp = control_plane
        self.state = state
        self.settings = settings
        self.clock = clock

    # ---------------------------------------------------------------- public
    def reconcile(self, app: Obj, live_change_only: bool = False) -> Outcome:
        """Compare ``app`` and write its status; ``live_change_only``: only live objects changed
        since the last reconcile, so the last render (if younger than a period) is reused."""
        settings = self.settings()
        meta = app.get("metadata") or {}
        name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        refresh = str((meta.get("annotations") or {}).get(REFRESH_ANNOTATION) or "")
        periodic = (
            settings.reconciliation_seconds * random.uniform(1.0, 1.1)
            if settings.reconciliation_seconds
            else None
        )
        try:
            outcome = self._reconcile(app, settings, refresh, live_change_only)
        except Exception as exc:  # never let one app break the loop
            log.exception("reconciling application %s/%s failed", namespace, name)
            outcome = Outcome(error=f"internal error: {exc}")
            self._write(app, failed_comparison_status(app, [_cond("UnknownError", outcome.error)]), refresh)
        if outcome.requeue_after is None or (periodic is not None and periodic < outcome.requeue_after):
            outcome.requeue_after = periodic
        return outcome

    # --------------------------------------------------------------- helpers
    def _write(
        self, app: Obj, status: Obj, refresh: str, force: bool = False, operation: Obj | None = None
    ) -> bool:
        """One PATCH of the Application: the status when it changed, the refresh annotation's
        removal, and an automated sync's ``operation`` (one write, not two, per auto-sync:
        Application writes are a large share of a syncing fleet's requests)."""
        meta = app.get("metadata") or {}
        patch: Obj = {}
        if force or refresh or changed(app.get("status") or {}, status):
            patch["status"] = status
        if refresh:
            patch["metadata"] = {"annotations": {REFRESH_ANNOTATION: None}}
        if operation is not None:
            patch["operation"] = operation
        if not patch:
            return False
        self.cp.patch_app(str(meta.get("namespace")), str(meta.get("name")), patch)
        if "status" in patch:
            for message in status_transitions(app.get("status") or {}, status):
                self.cp.emit_event(app, "ResourceUpdated", message)
        return "status" in patch

    def _fail(self, app: Obj, refresh: str, type_: str, message: str) -> Outcome:
        previous = (app.get("status") or {}).get("conditions") or []
        if not any(c.get("type") == type_ and c.get("message") == message for c in previous):
            # An Event when the problem appears (not on every retry), as kubectl describe shows them.
            self.cp.emit_event(app, type_, message, "Warning")
        wrote = self._write(app, failed_comparison_status(app, [_cond(type_, message)]), refresh)
        return Outcome(wrote_status=wrote, error=message)

    def _reconcile(
        self, app: Obj, settings: ControllerSettings, refresh: str, live_change_only: bool = False
    ) -> Outcome:
        try:
            # A periodic or live-change reconcile shares one ls-remote per repository and period
            # with every other app of the repository; a refresh (webhook, user, annotation) asks Git.
            max_age = 0.0 if refresh else settings.reconciliation_seconds or DEFAULT_RECONCILIATION_SECONDS
            reuse = settings.reconciliation_seconds if live_change_only and not refresh else 0.0
            snap = self.state.prepare(
                app,
                settings,
                no_cache=refresh == "hard",
                revision_max_age=max_age,
                reuse_render_within=reuse,
            )
        except ComparisonFailed as failed:
            out = self._fail(app, refresh, failed.type, failed.message)
            out.requeue_after = failed.requeue_after
            return out
        tools = [s.tool for s in snap.rendered.sources]
        status = comparison_status(app, snap.comparison, snap.rendered.revisions, tools, snap.conditions)
        outcome = Outcome(comparison=snap.comparison, revision=snap.rendered.revision)
        # As Argo CD: the SyncError condition is what this auto-sync decision says (cleared when it
        # says nothing), written with the comparison's status so neither overwrites the other.
        sync_error, operation = self._auto_sync(
            app, snap.project, settings, snap.comparison, snap.rendered, outcome
        )
        status["conditions"] = merge_conditions(
            status["conditions"],
            [_cond("SyncError", sync_error)] if sync_error else [],
            frozenset({"SyncError"}),
            now_iso(),
        )
        if operation is not None:
            # Recorded as started (Running at the rendered revision) in the write that requests
            # it: the operation worker resumes it from there rather than writing Running itself —
            # one Application write less per automated sync — and a controller that stops in
            # between leaves a sync its successor resumes at the same revision.
            status["operationState"] = OperationRecord(
                operation=operation,
                started_at=timestamp(self.clock()),
                revision=snap.rendered.revision,
                source=None,  # the runner adds the source it renders
            ).to_dict()
        outcome.wrote_status = self._write(
            app, status, refresh, force=_compared_before_last_operation(app), operation=operation
        )
        if operation is not None:
            self.cp.emit_event(app, OPERATION_STARTED, started_message(operation, snap.rendered.revision))
        return outcome

    def _auto_sync(
        self,
        app: Obj,
        project: Obj,
        settings: ControllerSettings,
        comparison: Comparison,
        rendered: RenderResult,
        out: Outcome,
    ) -> tuple[str, Obj | None]:
        """Decide on an automated sync: the SyncError message to show (or ""), and the
        ``operation`` to write with the status when a sync is due."""
        policy = AutomatedPolicy.from_application(app)
        if policy is None or app.get("operation"):
            return "", None
        status = app.get("status") or {}
        op_state = status.get("operationState") or {}
        running = op_state.get("phase") in ("Running", "Terminating")
        last = last_sync(app) if op_state else None
        states = [
            ResourceState(r.key.group, r.key.kind, r.key.namespace, r.key.name, r.status, r.requires_pruning)
            for r in comparison.resources
            if not r.hook
        ]
        decision = decide_auto_sync(
            policy,
            revision=rendered.revision,
            sync_status=comparison.sync_status,
            resources=states,
            last=last,
            now=self.clock(),
            operation_in_progress=running,
            deleting=bool((app.get("metadata") or {}).get("deletionTimestamp")),
            settings=SelfHealSettings(timeout=timedelta(seconds=settings.self_heal_timeout_seconds)),
        )
        meta = app.get("metadata") or {}
        name = f"{meta.get('namespace')}/{meta.get('name')}"
        what = "self-heal" if decision.self_heal else "auto-sync"
        if decision.verdict == "sync":
            windows = window_decision(project, app, self.clock(), manual=False)
            if windows is not None and not windows.allowed:
                # Wait for the window: look again when it opens (or in a minute if unknown).
                opens = SyncWindows.from_project(project).matches(app).next_allowed(self.clock())
                delay = (opens - self.clock()).total_seconds() if opens is not None else 60.0
                out.requeue_after = max(1.0, delay)
                out.blocked_by_window = windows.reason
                _decision_log(name, what, "waiting", f"blocked by sync window: {windows.reason}", rendered)
                return str(decision.condition or ""), None
            out.started_sync = True
            _decision_log(name, what, "started", decision.reason, rendered)
            return str(decision.condition or ""), auto_sync_operation(app, rendered.revision, decision)
        elif decision.verdict == "wait" and decision.at is not None:
            out.requeue_after = max(0.1, (decision.at - self.clock()).total_seconds())
            _decision_log(
                name, what, "waiting", f"{decision.reason} (until {decision.at:%H:%M:%S})", rendered
            )
        elif comparison.sync_status == "OutOfSync":
            # Out of sync but not syncing: the operator's question is "why not?"
            _decision_log(name, what, "skipped", decision.reason, rendered)
        return str(decision.condition or ""), None


def _decision_log(app: str, what: str, decision: str, reason: str, rendered: RenderResult) -> None:
    log.info(
        f"{what} {decision}: {reason}",
        extra=fields(application=app, decision=decision, reason=reason, revision=rendered.revision),
    )


def _compared_before_last_operation(app: Obj) -> bool:
    """The app's status predates the end of its last operation, so it must be written even if
    unchanged: ``argosy app sync`` waits for a ``reconciledAt`` after the operation's ``finishedAt``."""
    status = app.get("status") or {}
    finished = _parse_time((status.get("operationState") or {}).get("finishedAt"))
    reconciled = _parse_time(status.get("reconciledAt"))
    return finished is not None and (reconciled is None or reconciled < finished)


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _without_revision(source: Any) -> Any:
    if isinstance(source, dict):
        return {k: v for k, v in source.items() if k != "targetRevision"}
    return source


def last_sync(app: Obj) -> LastSync:
    """What the app's ``status.operationState`` says about its latest sync."""
    state = (app.get("status") or {}).get("operationState") or {}
    result = state.get("syncResult") or {}
    sync_op = (state.get("operation") or {}).get("sync") or {}
    spec = app.get("spec") or {}
    used = result.get("sources") or result.get("source")
    wanted = spec.get("sources") or spec.get("source")
    same = used is None or (
        [_without_revision(s) for s in used] == [_without_revision(s) for s in wanted or []]
        if isinstance(used, list)
        else _without_revision(used) == _without_revision(wanted)
    )
    # Directory image overrides are source settings too (argosy.io/image-overrides).
    same = same and recorded_image_overrides(state.get("operation") or {}) == image_overrides(app)
    return LastSync(
        revision=str(result.get("revision") or sync_op.get("revision") or ""),
        phase=str(state.get("phase") or ""),
        finished_at=_parse_time(state.get("finishedAt")),
        message=str(state.get("message") or ""),
        same_source=same,
        self_heal_attempts=int(sync_op.get("autoHealAttemptsCount") or 0),
    )
