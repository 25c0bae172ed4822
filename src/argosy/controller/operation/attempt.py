"""One attempt at a sync plan: dry run, then step after step, then success or SyncFail.

This is Argo CD's sync loop (gitops-engine ``syncContext.Sync``) written as a
straight sequence instead of a state machine re-entered every few seconds;
what makes it resumable is that every decision is read back from the
:class:`~argosy.controller.operation.state.OperationRecord` instead of from
memory:

1. ``CreateNamespace=true``: the namespace is created first (a dry run of
   objects in a namespace that does not exist would fail);
2. a server-side dry run of every object (hooks and SyncFail hooks included)
   — one rejected manifest fails the sync before anything is written;
3. each step (phase, wave): prunes, deletion of hooks to be re-created
   (``BeforeHookCreation``), then writes, kind group after kind group; then a
   wait until the step's hooks completed and, unless it is the last step,
   its objects are healthy and its prunes gone; the wave delay separates steps;
4. on failure, SyncFail hooks run (and are awaited) and ``HookFailed`` hooks
   are deleted; on success ``HookSucceeded`` hooks are deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from argosy.controller.operation import events, hooks
from argosy.controller.operation.ownership import (
    Deleted,
    DeleteOutcome,
    DeleteReason,
    Ownership,
    delete_owned,
)
from argosy.controller.operation.ports import (
    AppPort,
    BatchClusterPort,
    ClusterPort,
    RunnerConfig,
    is_already_exists,
    is_not_found,
)
from argosy.controller.operation.state import OperationRecord, TaskResult, parse_timestamp
from argosy.engine.sync import Action, ApplyMode, SyncPhase, SyncPlan, SyncStep, SyncTask
from argosy.model.status import OperationPhase, ResultCode

RUNNING = OperationPhase.RUNNING.value
SUCCEEDED = OperationPhase.SUCCEEDED.value
FAILED = OperationPhase.FAILED.value
ERROR = OperationPhase.ERROR.value
TERMINATING = OperationPhase.TERMINATING.value

SHOW_PROGRESS_FROM = 50
"""Objects in one step from which its ``operationState`` shows them "applying" while they are
written (below, a one-step sync writes its state when it starts and when it ends: 2 status
patches instead of 4, the fleet's most frequent write besides the objects themselves)."""

MSG_DRY_RUN_FAILED = "one or more objects failed to apply (dry run)"
MSG_APPLY_FAILED = "one or more objects failed to apply"
MSG_TASKS_FAILED = "one or more synchronization tasks completed unsuccessfully"
MSG_SUCCEEDED = "successfully synced (all tasks run)"


class RefusedWrite(Exception):
    """A write the ownership rules forbid (the message says which object and why)."""


class Terminated(Exception):
    """The user asked to stop the operation (``status.operationState.phase: Terminating``)."""


def ref(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The identifying part of an object, enough for get and delete."""
    meta = obj.get("metadata") or {}
    out_meta = {"name": meta.get("name")}
    if meta.get("namespace"):
        out_meta["namespace"] = meta["namespace"]
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"), "metadata": out_meta}


def ref_of_result(entry: TaskResult) -> dict[str, Any]:
    api_version = f"{entry.group}/{entry.version}" if entry.group else entry.version
    meta = {"name": entry.name, **({"namespace": entry.namespace} if entry.namespace else {})}
    return {"apiVersion": api_version, "kind": entry.kind, "metadata": meta}


def _created_at(obj: Mapping[str, Any]) -> datetime | None:
    text = (obj.get("metadata") or {}).get("creationTimestamp")
    return parse_timestamp(str(text)) if text else None


@dataclass
class Attempt:
    """Runs ``plan`` once, recording into ``record``; leaves ``record.phase`` final or Running."""

    plan: SyncPlan
    record: OperationRecord
    cluster: ClusterPort
    app: AppPort
    config: RunnerConfig
    ownership: Ownership
    _wrote: bool = field(default=False, init=False)
    _polls: int = field(default=0, init=False)

    # --- plumbing -----------------------------------------------------------------------
    def now(self) -> datetime:
        return self.config.clock()

    def check_terminate(self) -> None:
        if self.app.operation_phase() == TERMINATING:
            raise Terminated()

    def flush(self) -> None:
        """Write progress, unless the user asked to terminate meanwhile (then stop instead)."""
        self.check_terminate()
        self.app.patch_status({"operationState": self.record.to_dict()})

    def finish(self, phase: str, message: str) -> None:
        self.record.phase, self.record.message = phase, message

    # --- the attempt --------------------------------------------------------------------
    def execute(self) -> None:
        plan, record = self.plan, self.record
        if plan.blocked:
            self.finish(FAILED, plan.failure_message())
            return
        if plan.dry_run:
            self._dry_run_operation()
            return
        if self._failed_entries() or any(e.sync_phase == SyncPhase.SYNC_FAIL for e in record.entries()):
            self._fail(self._failure_reason())  # resumed after the sync had already failed
            return
        fresh = not any(True for _ in record.entries())
        if fresh and not (self._create_namespace() and self._dry_run_all()):
            return
        steps = plan.steps
        multi_step = len(steps) > 1
        for i, step in enumerate(steps):
            outcome = self._step(step, multi_step=multi_step, last=i == len(steps) - 1)
            if outcome == "pending":
                return
            if outcome == "failed":
                self._fail(self._failure_reason())
                return
        self._delete_hooks(hooks.deletes_on_success)
        self.finish(SUCCEEDED, MSG_SUCCEEDED)

    # --- before anything is written -----------------------------------------------------
    def _create_namespace(self) -> bool:
        task = self.plan.namespace_task
        if task is None or self.record.started(task):
            return True
        if self._write(task):
            return True
        entry = self.record.entry(task)
        self.finish(FAILED, f"the namespace failed to apply, reason: {entry.message}")
        return False

    def _dry_run_all(self) -> bool:
        created_namespaces = {
            t.key.name for t in self.plan.tasks if t.key.kind == "Namespace" and not t.key.group
        }
        ok = True
        for task in self.plan.tasks:
            if task.target is None or task is self.plan.namespace_task:
                continue
            try:
                self._call(task, dry_run=True)
            except Exception as exc:
                if is_not_found(exc) and (
                    task.skip_dry_run_if_type_missing or task.key.namespace in created_namespaces
                ):
                    continue  # its CRD or namespace is created by this very sync
                if task.is_hook and is_already_exists(exc):
                    continue  # an earlier run of the hook; it is deleted before re-creation
                now = self.now()
                self.record.set(
                    task,
                    status=ResultCode.SYNC_FAILED.value,
                    hook_phase=FAILED,
                    message=str(exc),
                    started=now,
                    finished=now,
                )
                ok = False
        if not ok:
            self.finish(FAILED, MSG_DRY_RUN_FAILED)
        return ok

    def _dry_run_operation(self) -> None:
        """``operation.sync.dryRun``: validate everything, write nothing, report what would happen."""
        now = self.now()
        for task in self.plan.tasks:
            if task.target is None:
                code = ResultCode.PRUNED if task.action is Action.PRUNE else ResultCode.PRUNE_SKIPPED
                msg = "pruned (dry run)" if task.action is Action.PRUNE else task.message
                self.record.set(
                    task, status=code.value, hook_phase=SUCCEEDED, message=msg, started=now, finished=now
                )
                continue
            try:
                msg = self._call(task, dry_run=True)
                self.record.set(
                    task,
                    status=ResultCode.SYNCED.value,
                    hook_phase=SUCCEEDED,
                    message=f"{msg} (dry run)",
                    started=now,
                    finished=now,
                )
            except Exception as exc:
                self.record.set(
                    task,
                    status=ResultCode.SYNC_FAILED.value,
                    hook_phase=FAILED,
                    message=str(exc),
                    started=now,
                    finished=now,
                )
        failed = self._failed_entries()
        self.finish(FAILED, MSG_DRY_RUN_FAILED) if failed else self.finish(SUCCEEDED, MSG_SUCCEEDED)

    # --- one step -----------------------------------------------------------------------
    def _step(self, step: SyncStep, *, multi_step: bool, last: bool) -> str:
        record = self.record
        if all(record.completed(t) for t in step.tasks):
            return "failed" if self._failed_entries() else "ok"
        self.check_terminate()
        confirm = [t for t in step.tasks if t.requires_confirmation and not record.started(t)]
        if confirm:
            first = confirm[0].key
            more = f" and {len(confirm) - 1} more resources" if len(confirm) > 1 else ""
            record.message = (
                f"Waiting for pruning confirmation of {first.group or 'v1'}/{first.kind}/{first.name}{more}"
            )
            self.flush()
            return "pending"
        self._wrote = False
        for task in step.prunes:
            if not record.started(task):
                self._prune(task)
        todo = [t for t in step.writes if not record.started(t)]
        kept = self._delete_before_creation([t for t in todo if hooks.deletes_before_creation(t)])
        todo = [t for t in todo if t not in kept]
        has_hooks = any(t.is_hook for t in step.tasks)
        wait_resources = multi_step and not (last and not has_hooks)
        # Nothing happens between this step's writes and the operation's end: its final state,
        # written at once by the runner, also records the writes.
        ends_here = last and not has_hooks and not wait_resources
        if todo:
            now = self.now()
            for task in todo:  # write-ahead: a crash from here on resumes these writes
                record.set(task, hook_phase=RUNNING, message="applying", started=now)
            record.message = "one or more tasks are running"
            # Hooks need the record before they are written (re-run, a hook would run twice);
            # the plain applies of a last step are simply re-applied on resume. A big step
            # still shows its progress.
            if not ends_here or len(todo) >= SHOW_PROGRESS_FROM:
                self.flush()
        for group in step.kind_groups():
            self._write_group([task for task in group if task in todo])
        if self._wrote and not ends_here:
            self.flush()
        if any(e.status == ResultCode.SYNC_FAILED.value for e in record.entries()):
            return "failed"
        if self._wrote and not last:
            self.config.sleep(self.config.wave_delay)
        self._wait(step.tasks, wait_resources=wait_resources)
        return "failed" if self._failed_entries() else "ok"

    def _prune(self, task: SyncTask) -> None:
        now = self.now()
        if task.action is Action.SKIP:
            self.record.set(
                task,
                status=ResultCode.PRUNE_SKIPPED.value,
                hook_phase=SUCCEEDED,
                message=task.message,
                started=now,
                finished=now,
            )
            return
        assert task.live is not None
        try:
            live = self.cluster.get(ref(task.live))
            kept = ""
            if live is not None and not (live.get("metadata") or {}).get("deletionTimestamp"):
                outcome = self._delete(task.live, DeleteReason.PRUNE, task)
                kept = outcome.reason if outcome.result is Deleted.SKIPPED else ""
            self.record.set(
                task,
                status=(ResultCode.PRUNE_SKIPPED if kept else ResultCode.PRUNED).value,
                hook_phase=SUCCEEDED,
                message=f"not pruned: {kept}" if kept else "pruned",
                started=now,
                finished=now,
            )
        except Exception as exc:
            self._record_failure(task, exc, now, f"Prune of {task.key} failed")
        self._wrote = True

    def _delete(self, obj: Mapping[str, Any], why: DeleteReason, task: SyncTask) -> DeleteOutcome:
        """Delete ``obj`` if this app owns it (:func:`~.ownership.delete_owned`)."""
        return delete_owned(
            self.cluster,
            self.app,
            ref(obj),
            self.ownership,
            why=why,
            propagation=task.options.propagation_policy,
            desired=task.target,
        )

    def _delete_before_creation(self, tasks: list[SyncTask]) -> list[SyncTask]:
        """Delete earlier runs of hooks about to be created, and wait until they are gone.

        Returns the hooks that cannot be created because the object at their name
        is not this app's (another app's or nobody's): those are recorded as failed."""
        doomed: list[SyncTask] = []
        kept: list[SyncTask] = []
        for task in tasks:
            assert task.target is not None
            live = self.cluster.get(ref(task.target))
            if live is None:
                continue
            if self.record.result(task) is not None and self._ours(live):
                continue  # in flight when the controller stopped: this run's own hook
            outcome = self._delete(task.target, DeleteReason.HOOK, task)
            if outcome.result is Deleted.SKIPPED:
                now = self.now()
                self.record.set(
                    task,
                    status=ResultCode.SYNC_FAILED.value,
                    hook_phase=FAILED,
                    message=f"hook cannot replace the existing {task.key}: {outcome.reason}; rename the hook",
                    started=now,
                    finished=now,
                )
                kept.append(task)
                continue
            doomed.append(task)
        if doomed:
            names = [f"{t.key.group}/{t.key.kind}/{t.key.name}" for t in doomed]
            self._wait_gone(
                [ref(t.target) for t in doomed if t.target is not None], names, "deletion of hook"
            )
        return kept

    def _refusal(self, task: SyncTask) -> str:
        """Why a destructive write of ``task`` must not touch the live object ("" when it may).

        ``Replace=true`` overwrites the whole object and ``Force=true`` may delete and
        re-create it: neither is done to an object another application tracks, and
        delete-and-re-create is not done to one nobody tracks (a plain PUT adopts it)."""
        opts = task.options
        if task.live is None or task.is_hook or not (task.action is Action.REPLACE or opts.force):
            return ""
        verdict = self.ownership.verdict(task.live, task.target)
        if verdict.allowed:
            return ""
        recreate = opts.force and not task.update_in_place
        if verdict.owner is None and not recreate:
            return ""
        what = (
            "Replace=true,Force=true"
            if task.action is Action.REPLACE and opts.force
            else ("Replace=true" if task.action is Action.REPLACE else "Force=true")
        )
        return (
            f"{what} would {'delete and re-create' if recreate else 'overwrite'} {task.key}, but "
            f"{verdict.reason}; remove the option or the other application's copy of the object"
        )

    def _call(self, task: SyncTask, *, dry_run: bool) -> str:
        assert task.target is not None
        refused = self._refusal(task)
        if refused:
            raise RefusedWrite(refused)
        obj, opts = task.target, task.options
        if task.action is Action.CREATE or (dry_run and task.is_hook and task.live is not None):
            return self.cluster.create(obj, dry_run=dry_run, validate=opts.validate)
        if task.action is Action.REPLACE:
            try:
                return self.cluster.replace(
                    obj, dry_run=dry_run, force=opts.force, update_in_place=task.update_in_place
                )
            except Exception as exc:
                if not is_not_found(exc):
                    raise
                return self.cluster.create(obj, dry_run=dry_run, validate=opts.validate)  # deleted meanwhile
        mode = task.apply_mode or ApplyMode.CLIENT_SIDE
        msg = self.cluster.apply(
            obj, mode=mode, dry_run=dry_run, force=opts.force, validate=opts.validate, live=task.live
        )
        if mode is ApplyMode.SERVER_SIDE and opts.server_side_apply is None:
            msg = f"{msg} ({task.apply_mode_reason})"
        return msg

    def _ours(self, live: Mapping[str, Any] | None) -> bool:
        """Whether a live object was created during this operation (so by it: a resumed write)."""
        created = _created_at(live) if live is not None else None
        if created is None or not self.record.started_at:
            return False
        return created >= parse_timestamp(self.record.started_at)

    def _write_group(self, tasks: list[SyncTask]) -> None:
        """Write one kind group: its plain client-side applies in one batch when the port can."""
        batch: dict[tuple[bool, bool], list[SyncTask]] = {}
        if isinstance(self.cluster, BatchClusterPort):
            for task in tasks:
                if (
                    task.action is Action.APPLY
                    and not task.is_hook
                    and task.target is not None
                    and not self._refusal(task)
                    and (task.apply_mode or ApplyMode.CLIENT_SIDE) is ApplyMode.CLIENT_SIDE
                ):
                    batch.setdefault((task.options.force, task.options.validate), []).append(task)
        batched = [t for same in batch.values() for t in same] if sum(map(len, batch.values())) > 1 else []
        for task in tasks:
            if task not in batched:
                self._write(task)
        if not batched:
            return
        assert isinstance(self.cluster, BatchClusterPort)
        for (force, validate), same in batch.items():
            now = self.now()
            self._wrote = True
            outcomes: list[str | Exception]
            try:
                outcomes = self.cluster.apply_many(
                    [t.target for t in same if t.target is not None],
                    force=force,
                    validate=validate,
                    lives=[t.live for t in same if t.target is not None],
                )
            except Exception as exc:  # the whole batch failed the same way (e.g. unreachable)
                outcomes = [exc] * len(same)
            for task, outcome in zip(same, outcomes, strict=True):
                self._record_write(task, outcome, now)

    def _write(self, task: SyncTask) -> bool:
        now = self.now()
        obj = task.target or {}
        self._wrote = True
        outcome: str | Exception
        try:
            outcome = self._call(task, dry_run=False)
        except Exception as exc:
            outcome = exc
            if (
                task.action is Action.CREATE
                and is_already_exists(exc)
                and self._ours(self.cluster.get(ref(obj)))
            ):
                outcome = f"{task.key.kind.lower()}/{task.key.name} already created by this operation"
        return self._record_write(task, outcome, now)

    def _record_failure(self, task: SyncTask, exc: Exception, started: datetime, what: str) -> None:
        """A write or prune the cluster refused: the result and a Warning event say why."""
        self.record.set(
            task,
            status=ResultCode.SYNC_FAILED.value,
            hook_phase=FAILED,
            message=str(exc),
            started=started,
            finished=self.now(),
        )
        events.resource_failed(self.app, what, str(exc))

    def _record_write(self, task: SyncTask, outcome: str | Exception, started: datetime) -> bool:
        if isinstance(outcome, Exception):
            self._record_failure(task, outcome, started, f"Sync of {task.key} failed")
            return False
        self.record.set(
            task, status=ResultCode.SYNCED.value, hook_phase=RUNNING, message=outcome, started=started
        )
        return True

    # --- waiting ------------------------------------------------------------------------
    def _deadline(self) -> float | None:
        timeout = self.config.wait_timeout
        return None if timeout is None else self.now().timestamp() + timeout

    def _wait(self, tasks: Iterable[SyncTask], *, wait_resources: bool) -> None:
        """Until every hook among ``tasks`` completed (and, with ``wait_resources``, every
        object is healthy and every prune gone)."""
        self._polls = 0
        deadline = self._deadline()
        tasks = list(tasks)
        while True:
            changed, running = False, []
            for task in tasks:
                label = f"{task.key.group}/{task.key.kind}/{task.key.name}"
                entry = self.record.result(task)
                if task.target is None:
                    if wait_resources and entry is not None and entry.status == ResultCode.PRUNED.value:
                        assert task.live is not None
                        if self.cluster.get(ref(task.live)) is not None:
                            running.append((task, label))
                    continue
                if entry is None or not entry.running or not (task.is_hook or wait_resources):
                    continue
                live = self.cluster.get(ref(task.target))
                if live is None:
                    self.record.set(
                        task,
                        hook_phase=ERROR,
                        finished=self.now(),
                        message=f"Resource {label} is missing, it might have been deleted",
                    )
                    changed = True
                    continue
                if task.is_hook:
                    phase: str | None
                    phase, msg = hooks.hook_phase(live, self.config.overrides)
                    phase = None if phase == RUNNING else phase
                else:
                    phase, msg = hooks.resource_phase(live, self.config.overrides)
                if phase is None:
                    running.append((task, label))
                    if msg and msg != entry.message:
                        entry.message, changed = msg, True
                    continue
                self.record.set(task, hook_phase=phase, message=msg, finished=self.now())
                changed = True
                if phase != SUCCEEDED:
                    events.resource_failed(self.app, f"{task.key}", msg or phase)
            if running:
                any_hook = any(t.is_hook for t, _ in running)
                prunes = all(t.target is None for t, _ in running)
                what = "deletion of" if prunes else "healthy state of"
                message = hooks.waiting_message(what, [label for _, label in running], any_hook)
                if message != self.record.message:
                    self.record.message, changed = message, True
            if not running and not any(t.is_hook for t in tasks):
                # Plain objects all ready: not written here, what comes next writes anyway (the
                # next step's write-ahead or the final state) and a resumed wait finds the same
                # live state — one Application write less per wave, each ~12 ms of API server
                # CPU. A hook's end is written before anything else: it may be deleted next.
                return
            if changed:
                self.flush()
            if not running:
                return
            self.check_terminate()
            if deadline is not None and self.now().timestamp() >= deadline:
                for task, label in running:
                    self.record.set(
                        task,
                        hook_phase=FAILED,
                        finished=self.now(),
                        message=f"timed out after {self.config.wait_timeout:g}s waiting for {label}",
                    )
                self.flush()
                return
            self.config.sleep(self._next_poll())

    def _next_poll(self) -> float:
        """Poll quickly at first (most objects are ready within a fraction of a second),
        then back off to ``poll_interval`` so a long wait does not flood the API server."""
        self._polls += 1
        return min(float(self.config.poll_interval), 0.05 * 2.0**self._polls)

    def _wait_gone(self, objs: list[dict[str, Any]], names: list[str], what: str) -> None:
        self._polls = 0
        deadline = self._deadline()
        while True:
            left = [n for o, n in zip(objs, names, strict=True) if self.cluster.get(o) is not None]
            if not left:
                return
            self.record.message = f"waiting for {what} {left[0]}" + (
                f" and {len(left) - 1} more" if len(left) > 1 else ""
            )
            self.flush()
            if deadline is not None and self.now().timestamp() >= deadline:
                raise TimeoutError(
                    f"{left[0]} was not deleted within {self.config.wait_timeout:g}s; check its finalizers"
                )
            self.config.sleep(self._next_poll())

    # --- endings ------------------------------------------------------------------------
    def _failed_entries(self) -> list[TaskResult]:
        return [
            e
            for e in self.record.entries()
            if e.completed and not e.successful and e.sync_phase != SyncPhase.SYNC_FAIL
        ]

    def _failure_reason(self) -> str:
        failed = self._failed_entries()
        head = (
            MSG_APPLY_FAILED
            if any(e.status == ResultCode.SYNC_FAILED.value for e in failed)
            else MSG_TASKS_FAILED
        )
        messages = [e.message for e in failed if e.message]
        return f"{head}, reason: {','.join(messages)}" if messages else head

    def _fail(self, message: str) -> None:
        """Run the SyncFail hooks, wait for every running hook, delete HookFailed hooks."""
        record = self.record
        todo = [t for t in self.plan.sync_fail if not record.started(t)]
        kept = self._delete_before_creation([t for t in todo if hooks.deletes_before_creation(t)])
        todo = [t for t in todo if t not in kept]
        if todo:
            now = self.now()
            for task in todo:
                record.set(task, hook_phase=RUNNING, message="applying", started=now)
            self.flush()
            for task in todo:
                self._write(task)
            self.flush()
        self._wait([t for t in self.plan.tasks if t.is_hook], wait_resources=False)
        self._delete_hooks(hooks.deletes_on_failure)
        failed_hooks = [
            e for e in record.entries() if e.sync_phase == SyncPhase.SYNC_FAIL and not e.successful
        ]
        if failed_hooks:
            reasons = ",".join(e.message for e in failed_hooks if e.message)
            message += "\none or more SyncFail hooks failed" + (f", reason: {reasons}" if reasons else "")
        self.finish(FAILED, message)

    def _delete_hooks(self, policy: Callable[[SyncTask], bool]) -> None:
        for task in self.plan.tasks:
            entry = self.record.result(task)
            if not task.is_hook or task.target is None or entry is None or entry.running or not policy(task):
                continue
            try:
                self._delete(task.target, DeleteReason.HOOK, task)
            except Exception as exc:
                entry.hook_phase, entry.message = ERROR, f"failed to delete hook: {exc}"
