"""The sync operation runner: from ``operation.sync`` to a final ``status.operationState``.

:class:`OperationRunner` is what the controller's operation worker calls for
an Application that has an ``operation`` (or an ``operationState`` still
``Running`` after a restart). It plans the sync with :mod:`argosy.engine.sync`,
runs :class:`~argosy.controller.operation.attempt.Attempt` (retrying as the
retry policy says), and writes the outcome: the final operation state, a new
``status.history`` entry after a successful full sync, and the events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from argosy.controller.operation import events
from argosy.controller.operation.attempt import (
    ERROR,
    FAILED,
    RUNNING,
    SUCCEEDED,
    Attempt,
    Terminated,
    ref,
    ref_of_result,
)
from argosy.controller.operation.history import append_history, history_limit, history_of
from argosy.controller.operation.ownership import DeleteReason, Ownership, delete_owned
from argosy.controller.operation.ports import AppPort, ClusterPort, RunnerConfig
from argosy.controller.operation.state import (
    TERMINATED_MESSAGE,
    OperationRecord,
    parse_timestamp,
    running_operation_state,
    timestamp,
)
from argosy.engine.sync import (
    AppSettings,
    DesiredObject,
    PropagationPolicy,
    RetryPolicy,
    SyncPlan,
    build_plan,
    parse_retry,
    request_from_operation,
)
from argosy.kube.errors import server_unavailable
from argosy.model.status import OperationPhase

DELETION_APPROVED_ANNOTATION = "argocd.argoproj.io/deletion-approved"

Desired = Mapping[str, Any] | DesiredObject


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def retry_policy(app: Mapping[str, Any], operation: Mapping[str, Any]) -> RetryPolicy:
    """``operation.retry`` when it says anything, else ``spec.syncPolicy.retry``."""
    automated = _map(operation.get("initiatedBy")).get("automated") is True
    op_retry = _map(operation.get("retry"))
    if op_retry.get("limit") or op_retry.get("backoff"):
        policy, _ = parse_retry(op_retry, field="operation.retry", automated=automated)
        return policy
    spec_retry = _map(_map(_map(app.get("spec")).get("syncPolicy")).get("retry"))
    policy, _ = parse_retry(spec_retry or None, automated=automated)
    return policy


class OperationRunner:
    """Runs one Application's sync operation to completion (or until it must wait for approval).

    ``run`` blocks: it applies, waits for waves and hooks (polling through
    the ports, sleeping with ``config.sleep``) and returns the final
    ``status.operationState``. It returns a ``Running`` state only when a prune
    waits for ``argocd.argoproj.io/deletion-approved``; call ``run`` again
    when the Application changes and it resumes.
    """

    def __init__(self, cluster: ClusterPort, app_port: AppPort, config: RunnerConfig | None = None) -> None:
        self.cluster = cluster
        self.app_port = app_port
        self.config = config or RunnerConfig()

    # --- public -------------------------------------------------------------------------
    def run(
        self,
        app: Mapping[str, Any],
        desired: Sequence[Desired],
        prunable: Sequence[Mapping[str, Any]],
        revision: str,
        source: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """Run (or resume) the app's sync operation; returns the final ``status.operationState``.

        ``desired`` is the rendered manifests of ``revision`` (hooks included),
        namespaces resolved as compare resolves them, tracking metadata set;
        plain dicts get their live object from ``cluster.get``. ``prunable`` are
        the live objects tracked by the app that the render no longer has.
        When resuming, pass the recorded revision (see
        :func:`~argosy.controller.operation.state.resume_revision`).
        """
        record, resumed = self._record(app, revision, source)
        operation = record.operation
        if not resumed:
            self.app_port.patch_status({"operationState": record.to_dict()})
            events.started(self.app_port, operation, revision)
        policy = retry_policy(app, operation)
        while True:
            attempt = self._attempt(app, record, desired, prunable)
            if attempt is None or not self._should_retry(record, attempt.plan, policy):
                break
            self._wait_for_retry(record, policy)
        if record.phase == RUNNING:
            return record.to_dict()  # waiting for prune confirmation
        return self._complete(app, record)

    # --- steps of run -------------------------------------------------------------------
    def _record(
        self, app: Mapping[str, Any], revision: str, source: Mapping[str, Any] | None
    ) -> tuple[OperationRecord, bool]:
        name = str(_map(app.get("metadata")).get("name") or "")
        state = running_operation_state(app)
        if state is not None:
            record = OperationRecord.from_dict(state)
            if record.revision and revision and record.revision != revision:
                raise ValueError(
                    f"application {name!r}: the running operation syncs revision {record.revision}, "
                    f"not {revision}; render the recorded revision to resume it"
                )
            if not record.operation and isinstance(app.get("operation"), Mapping):
                record.operation = dict(app["operation"])
            record.revision = record.revision or revision
            if record.source is None and source is not None:
                record.source = dict(source)
            return record, True
        operation = app.get("operation")
        if not isinstance(operation, Mapping) or not isinstance(operation.get("sync"), Mapping):
            raise ValueError(
                f"application {name!r} has no sync operation to run; set .operation.sync "
                "(argosy app sync does) or resume one whose status.operationState.phase is Running"
            )
        record = OperationRecord(
            operation=dict(operation),
            started_at=timestamp(self.config.clock()),
            revision=revision,
            source=dict(source) if source is not None else None,
        )
        return record, False

    def _plan(
        self,
        app: Mapping[str, Any],
        record: OperationRecord,
        desired: Sequence[Desired],
        prunable: Sequence[Mapping[str, Any]],
    ) -> SyncPlan:
        started_at = parse_timestamp(record.started_at)
        approved = _map(_map(app.get("metadata")).get("annotations")).get(DELETION_APPROVED_ANNOTATION)
        confirmed = bool(approved) and parse_timestamp(str(approved)) >= started_at
        request, problems = request_from_operation(
            record.operation, started_at, revision=record.revision, prune_confirmed=confirmed
        )
        items = [d if isinstance(d, DesiredObject) else self._with_live(d) for d in desired]
        settings = AppSettings.from_application(app)
        ns_live = None
        if settings.destination_namespace:
            ns_live = self.cluster.get(
                {
                    "apiVersion": "v1",
                    "kind": "Namespace",
                    "metadata": {"name": settings.destination_namespace},
                }
            )
        plan = build_plan(items, prunable, request, settings, destination_namespace_live=ns_live)
        if problems:
            plan = SyncPlan(
                tasks=plan.tasks,
                steps=plan.steps,
                sync_fail=plan.sync_fail,
                skipped=plan.skipped,
                problems=plan.problems + tuple(problems),
                refusal=plan.refusal,
                dry_run=plan.dry_run,
                namespace_task=plan.namespace_task,
            )
        return plan

    def _with_live(self, obj: Mapping[str, Any]) -> DesiredObject:
        name = _map(obj.get("metadata")).get("name")
        return DesiredObject(obj, self.cluster.get(ref(obj)) if name else None)

    def _attempt(
        self,
        app: Mapping[str, Any],
        record: OperationRecord,
        desired: Sequence[Desired],
        prunable: Sequence[Mapping[str, Any]],
    ) -> Attempt | None:
        attempt: Attempt | None = None
        try:
            if self.app_port.operation_phase() == OperationPhase.TERMINATING.value:
                raise Terminated()
            attempt = Attempt(
                self._plan(app, record, desired, prunable),
                record,
                self.cluster,
                self.app_port,
                self.config,
                Ownership.of(app, self.config),
            )
            attempt.execute()
        except Terminated:
            self._terminate(app, record)
            return None
        except Exception as exc:  # a port failed in a way no task result can hold
            if server_unavailable(exc):
                # An API server that cannot answer now: abandon this attempt as if the controller
                # had stopped; the operation stays Running and resumes from its recorded state.
                raise
            record.phase, record.message = ERROR, f"sync operation failed unexpectedly: {exc}"
            return None
        return attempt

    def _should_retry(self, record: OperationRecord, plan: SyncPlan, policy: RetryPolicy) -> bool:
        # A blocked plan (bad annotations, empty render) fails the same way every time: no retry.
        return record.phase == FAILED and not plan.blocked and policy.can_retry(record.retry_count)

    def _wait_for_retry(self, record: OperationRecord, policy: RetryPolicy) -> None:
        delay = policy.delay(record.retry_count)
        at = self.config.clock() + delay
        record.retry_count += 1
        record.phase = RUNNING
        record.message = f"Retrying attempt #{record.retry_count} at {at:%H:%M:%S}. {record.message}"
        record.results = {}  # a new attempt; its progress starts afresh
        self.app_port.patch_status({"operationState": record.to_dict()})
        remaining = delay
        step = timedelta(seconds=max(self.config.poll_interval, 0.001))
        while remaining > timedelta(0):
            if self.app_port.operation_phase() == OperationPhase.TERMINATING.value:
                return  # the next attempt sees it and terminates
            chunk = min(step, remaining)
            self.config.sleep(chunk.total_seconds())
            remaining -= chunk

    def _terminate(self, app: Mapping[str, Any], record: OperationRecord) -> None:
        """Argo CD's terminate: delete hooks still running, mark them and the operation failed."""
        ok = True
        ownership = Ownership.of(app, self.config)
        for entry in record.entries():
            if not entry.hook_type or not (entry.running or entry.in_flight):
                continue
            try:
                delete_owned(
                    self.cluster,
                    self.app_port,
                    ref_of_result(entry),
                    ownership,
                    why=DeleteReason.TERMINATE,
                    propagation=PropagationPolicy.BACKGROUND,
                )
                entry.hook_phase, entry.message = FAILED, "Terminated"
            except Exception as exc:
                ok = False
                entry.hook_phase, entry.message = ERROR, f"failed to delete hook on terminate: {exc}"
            entry.finished_at = timestamp(self.config.clock(), precise=True)
        record.phase = FAILED if ok else ERROR
        record.message = TERMINATED_MESSAGE if ok else "Operation termination had errors"

    def _complete(self, app: Mapping[str, Any], record: OperationRecord) -> dict[str, Any]:
        now = self.config.clock()
        record.finished_at = timestamp(now, precise=True)
        patch: dict[str, Any] = {"operationState": record.to_dict()}
        sync = _map(record.operation.get("sync"))
        if record.phase == SUCCEEDED and not sync.get("dryRun") and not sync.get("resources"):
            patch["history"] = append_history(
                history_of(app),
                revision=record.revision,
                source=record.source,
                deployed_at=record.finished_at,
                deploy_started_at=record.started_at,
                initiated_by=_map(record.operation.get("initiatedBy")) or None,
                limit=history_limit(app),
            )
        self.app_port.patch_status(patch, clear_operation=True)
        events.completed(self.app_port, record.operation, record.revision, record.phase, record.message)
        return record.to_dict()
