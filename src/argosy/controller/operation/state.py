"""``status.operationState``: the operation's progress, written as it goes.

Everything a restarted controller needs to finish a sync is here: which
operation, when it started (which names ``generateName`` hooks), the retry
count, and one ``syncResult.resources[]`` entry per task with its result and
``hookPhase``. The runner writes an entry *before* it writes the object (with
an empty ``status``: "in flight") and completes it afterwards, so a task is
never done twice and never forgotten:

* ``status`` empty: the write may or may not have happened; a resumed runner
  writes again (applies are idempotent; a hook found live is not recreated);
* ``status`` set and ``hookPhase: Running``: written, waiting for health or
  hook completion;
* ``hookPhase`` ``Succeeded``/``Failed``/``Error``: done.

Besides Argo CD's fields each entry carries ``startedAt`` and ``finishedAt``
(RFC 3339 with microseconds), so the order in which things happened can be
read back.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from argosy.engine.sync import ResourceKey, SyncPhase, SyncTask
from argosy.model.status import OperationPhase, ResultCode

COMPLETED = frozenset(
    {OperationPhase.SUCCEEDED.value, OperationPhase.FAILED.value, OperationPhase.ERROR.value}
)
TERMINATED_MESSAGE = "Operation terminated"


def timestamp(moment: datetime, *, precise: bool = False) -> str:
    """RFC 3339 in UTC: seconds (Kubernetes' ``metav1.Time``) or microseconds."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    if precise:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_timestamp(text: str) -> datetime:
    """Read what :func:`timestamp` (or Kubernetes) wrote."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


ResultKey = tuple[str, str, str, str, str]
"""group, kind, namespace, name, syncPhase."""


def task_key(task: SyncTask) -> ResultKey:
    k = task.key
    return (k.group, k.kind, k.namespace, k.name, str(task.phase))


def _version(obj: Mapping[str, Any] | None) -> str:
    api_version = str((obj or {}).get("apiVersion") or "")
    return api_version.rsplit("/", 1)[-1] if api_version else ""


@dataclass
class TaskResult:
    """One ``syncResult.resources[]`` entry."""

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    sync_phase: str
    status: str = ""
    message: str = ""
    sync_wave: int = 0
    """The wave the task ran in (Argosy's addition, shown by ``argosy app sync``)."""
    hook_type: str = ""
    hook_phase: str = ""
    started_at: str = ""
    finished_at: str = ""

    @property
    def key(self) -> ResultKey:
        return (self.group, self.kind, self.namespace, self.name, self.sync_phase)

    @property
    def resource_key(self) -> ResourceKey:
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    @property
    def in_flight(self) -> bool:
        return not self.status

    @property
    def running(self) -> bool:
        return bool(self.status) and self.hook_phase not in COMPLETED

    @property
    def completed(self) -> bool:
        return bool(self.status) and self.hook_phase in COMPLETED

    @property
    def successful(self) -> bool:
        return self.status != ResultCode.SYNC_FAILED.value and self.hook_phase not in (
            OperationPhase.FAILED.value,
            OperationPhase.ERROR.value,
        )

    @classmethod
    def for_task(cls, task: SyncTask) -> TaskResult:
        k = task.key
        hook_type = ""
        if task.hook is not None:
            hook_type = str(task.phase)
        return cls(
            group=k.group,
            version=_version(task.target or task.live),
            kind=k.kind,
            namespace=k.namespace,
            name=k.name,
            sync_phase=str(task.phase),
            sync_wave=task.wave,
            hook_type=hook_type,
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "group": self.group,
            "version": self.version,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "status": self.status,
            "message": self.message,
            "syncPhase": self.sync_phase,
            "syncWave": self.sync_wave,
        }
        if self.hook_type:
            out["hookType"] = self.hook_type
        if self.hook_phase:
            out["hookPhase"] = self.hook_phase
        if self.started_at:
            out["startedAt"] = self.started_at
        if self.finished_at:
            out["finishedAt"] = self.finished_at
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TaskResult:
        def text(name: str) -> str:
            return str(data.get(name) or "")

        return cls(
            group=text("group"),
            version=text("version"),
            kind=text("kind"),
            namespace=text("namespace"),
            name=text("name"),
            sync_phase=text("syncPhase") or str(SyncPhase.SYNC),
            sync_wave=wave if isinstance(wave := data.get("syncWave"), int) else 0,
            status=text("status"),
            message=text("message"),
            hook_type=text("hookType"),
            hook_phase=text("hookPhase"),
            started_at=text("startedAt"),
            finished_at=text("finishedAt"),
        )


@dataclass
class OperationRecord:
    """The whole ``status.operationState`` of one operation, mutable while it runs."""

    operation: dict[str, Any]
    started_at: str
    revision: str
    source: dict[str, Any] | None
    phase: str = OperationPhase.RUNNING.value
    message: str = ""
    finished_at: str | None = None
    retry_count: int = 0
    results: dict[ResultKey, TaskResult] = field(default_factory=dict)

    # --- reading -------------------------------------------------------------------------
    def result(self, task: SyncTask) -> TaskResult | None:
        return self.results.get(task_key(task))

    def started(self, task: SyncTask) -> bool:
        """The task's write is confirmed (it may still be running)."""
        entry = self.result(task)
        return entry is not None and not entry.in_flight

    def completed(self, task: SyncTask) -> bool:
        entry = self.result(task)
        return entry is not None and entry.completed

    def entries(self) -> Iterator[TaskResult]:
        return iter(self.results.values())

    @property
    def done(self) -> bool:
        return self.phase in COMPLETED

    # --- writing -------------------------------------------------------------------------
    def entry(self, task: SyncTask) -> TaskResult:
        key = task_key(task)
        if key not in self.results:
            self.results[key] = TaskResult.for_task(task)
        return self.results[key]

    def set(
        self,
        task: SyncTask,
        *,
        status: str | None = None,
        hook_phase: str | None = None,
        message: str | None = None,
        started: datetime | None = None,
        finished: datetime | None = None,
    ) -> TaskResult:
        entry = self.entry(task)
        if status is not None:
            entry.status = status
        if hook_phase is not None:
            entry.hook_phase = hook_phase
        if message:
            entry.message = message
        if started is not None and not entry.started_at:
            entry.started_at = timestamp(started, precise=True)
        if finished is not None:
            entry.finished_at = timestamp(finished, precise=True)
        return entry

    # --- (de)serialising -----------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        sync_result: dict[str, Any] = {
            "revision": self.revision,
            "resources": [r.to_dict() for r in self.results.values()],
        }
        if self.source is not None:
            sync_result["source"] = self.source
        out: dict[str, Any] = {
            "operation": self.operation,
            "phase": self.phase,
            "message": self.message,
            "syncResult": sync_result,
            "startedAt": self.started_at,
            "retryCount": self.retry_count,
            # Always present: null while running, so a merge patch clears the previous operation's.
            "finishedAt": self.finished_at,
        }
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OperationRecord:
        sync_result = data.get("syncResult") if isinstance(data.get("syncResult"), Mapping) else {}
        assert isinstance(sync_result, Mapping)
        results: dict[ResultKey, TaskResult] = {}
        for item in sync_result.get("resources") or ():
            if isinstance(item, Mapping):
                entry = TaskResult.from_dict(item)
                results[entry.key] = entry
        source = sync_result.get("source")
        retry = data.get("retryCount")
        return cls(
            operation=dict(data.get("operation") or {}),
            started_at=str(data.get("startedAt") or ""),
            revision=str(sync_result.get("revision") or ""),
            source=dict(source) if isinstance(source, Mapping) else None,
            phase=str(data.get("phase") or OperationPhase.RUNNING.value),
            message=str(data.get("message") or ""),
            finished_at=str(data.get("finishedAt")) if data.get("finishedAt") else None,
            retry_count=retry if isinstance(retry, int) and not isinstance(retry, bool) else 0,
            results=results,
        )


def running_operation_state(app: Mapping[str, Any]) -> dict[str, Any] | None:
    """The app's ``status.operationState`` when an operation is still in progress (to resume)."""
    status = app.get("status")
    state = status.get("operationState") if isinstance(status, Mapping) else None
    if not isinstance(state, Mapping):
        return None
    if state.get("phase") in (OperationPhase.RUNNING.value, OperationPhase.TERMINATING.value):
        return dict(state)
    return None


def operation_under_way(app: Mapping[str, Any]) -> bool:
    """Whether the app's operation has begun its work: Terminating, or Running with a task
    recorded or a retry counted.

    An automated sync is recorded Running by the reconciler in the very write that requests it
    (one Application write less per sync); until its first task it is checked as a new sync
    (sync windows, ``FailOnSharedResource``) — nothing has been written that a check could leave
    half done.
    """
    state = running_operation_state(app)
    if state is None:
        return False
    if state.get("phase") == OperationPhase.TERMINATING.value or state.get("retryCount"):
        return True
    result = state.get("syncResult")
    return isinstance(result, Mapping) and bool(result.get("resources"))


def resume_revision(app: Mapping[str, Any]) -> str | None:
    """The revision a resumed operation must render (the one it recorded), if any."""
    state = running_operation_state(app)
    if state is None:
        return None
    sync_result = state.get("syncResult")
    if isinstance(sync_result, Mapping) and sync_result.get("revision"):
        return str(sync_result["revision"])
    return None
