"""In-memory fakes of the runner's ports, for unit tests of its bookkeeping.

``FakeCluster`` stores objects by identity and plays the kubelet and the
controllers just enough for health: a Job completes (or fails, when annotated
``test/outcome: Failed``) after ``job_polls`` reads; a Deployment reports all
replicas available. ``FakeApp`` keeps the Application dict and merges status
patches as the API server merges a JSON merge patch. ``FakeClock`` advances only
when the runner sleeps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from argosy.controller.operation import RunnerConfig
from argosy.engine.sync import ApplyMode, PropagationPolicy

REVISION = "0123456789abcdef0123456789abcdef01234567"
OUTCOME = "test/outcome"

Key = tuple[str, str, str, str]


def key_of(obj: Mapping[str, Any]) -> Key:
    meta = obj.get("metadata") or {}
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return (group, str(obj.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name") or ""))


class FakeError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Crash(BaseException):
    """The controller process dies here (not an Exception: nothing may catch it)."""


@dataclass
class FakeClock:
    now: datetime = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)

    def tick(self) -> None:
        self.now += timedelta(microseconds=1)


@dataclass
class FakeCluster:
    clock: FakeClock
    objects: dict[Key, dict[str, Any]] = field(default_factory=dict)
    log: list[tuple[str, Key, bool]] = field(default_factory=list)
    """(verb, key, dry_run) of every write, in order."""
    reject: dict[str, str] = field(default_factory=dict)
    """object name -> message the API server answers when it is written (dry run or not)."""
    reject_real: dict[str, str] = field(default_factory=dict)
    """object name -> message for real (non dry-run) writes only."""
    unknown_kinds: set[str] = field(default_factory=set)
    job_polls: int = 1
    reads: dict[Key, int] = field(default_factory=dict)
    uid: int = 0
    version: int = 0

    def _write(self, verb: str, obj: Mapping[str, Any], dry_run: bool) -> str:
        self.clock.tick()
        key = key_of(obj)
        self.log.append((verb, key, dry_run))
        if key[1] in self.unknown_kinds:
            raise FakeError(404, f"the server could not find the requested resource ({key[1]})")
        name = key[3]
        if name in self.reject:
            raise FakeError(422, f"{key[1]} {name!r} is invalid: {self.reject[name]}")
        if not dry_run and name in self.reject_real:
            raise FakeError(422, f"{key[1]} {name!r} is invalid: {self.reject_real[name]}")
        if verb == "create" and key in self.objects:
            raise FakeError(409, f"{key[1]} {name!r} already exists")
        if dry_run:
            return f"{key[1].lower()}/{name} {verb} (dry run)"
        stored = copy.deepcopy(dict(obj))
        meta = stored.setdefault("metadata", {})
        old = self.objects.get(key)
        if old is None:
            self.uid += 1
            meta["uid"] = f"uid-{self.uid}"
            meta["creationTimestamp"] = self.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            meta["uid"] = old["metadata"]["uid"]
            meta["creationTimestamp"] = old["metadata"]["creationTimestamp"]
        meta["generation"] = 1
        self.version += 1
        meta["resourceVersion"] = str(self.version)
        self.objects[key] = stored
        self.reads.pop(key, None)
        return f"{key[1].lower()}/{name} {'created' if old is None else 'configured'}"

    def apply(
        self,
        obj: Mapping[str, Any],
        *,
        mode: ApplyMode,
        dry_run: bool,
        force: bool,
        validate: bool,
        live: Mapping[str, Any] | None = None,
    ) -> str:
        return self._write("apply", obj, dry_run)

    def create(self, obj: Mapping[str, Any], *, dry_run: bool, validate: bool) -> str:
        return self._write("create", obj, dry_run)

    def replace(self, obj: Mapping[str, Any], *, dry_run: bool, force: bool, update_in_place: bool) -> str:
        return self._write("replace", obj, dry_run)

    def delete(
        self,
        obj: Mapping[str, Any],
        *,
        propagation: PropagationPolicy,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> None:
        self.clock.tick()
        key = key_of(obj)
        live = self.objects.get(key)
        if uid and live is not None and live["metadata"].get("uid") != uid:
            raise FakeError(409, f"{key[1]} {key[3]!r}: precondition failed: UID in object meta: {uid}")
        version = (live or {}).get("metadata", {}).get("resourceVersion")
        if resource_version and live is not None and version != resource_version:
            raise FakeError(409, f"{key[1]} {key[3]!r}: precondition failed: resourceVersion {version}")
        self.log.append((f"delete:{propagation}", key, False))
        self.objects.pop(key, None)

    def get(self, obj: Mapping[str, Any]) -> dict[str, Any] | None:
        key = key_of(obj)
        live = self.objects.get(key)
        if live is None:
            return None
        self.reads[key] = self.reads.get(key, 0) + 1
        out = copy.deepcopy(live)
        kind = key[1]
        if kind == "Job" and self.reads[key] > self.job_polls:
            outcome = (out["metadata"].get("annotations") or {}).get(OUTCOME, "Complete")
            out["status"] = {"conditions": [{"type": outcome, "status": "True", "message": f"job {outcome}"}]}
        if kind == "Deployment":
            n = (out.get("spec") or {}).get("replicas", 1)
            out["status"] = {
                "observedGeneration": 1,
                "replicas": n,
                "updatedReplicas": n,
                "availableReplicas": n,
            }
        return out

    def writes(self, *, dry_run: bool = False) -> list[tuple[str, Key]]:
        return [(verb, key) for verb, key, dr in self.log if dr == dry_run]


def merge_patch(target: dict[str, Any], patch: Mapping[str, Any]) -> None:
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        elif isinstance(v, Mapping) and isinstance(target.get(k), dict):
            merge_patch(target[k], v)
        else:
            target[k] = copy.deepcopy(v) if not isinstance(v, Mapping) else _clean(v)


def _clean(value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    merge_patch(out, value)
    return out


@dataclass
class FakeApp:
    app: dict[str, Any]
    events: list[tuple[str, str, str]] = field(default_factory=list)
    patches: int = 0
    on_patch: Callable[[FakeApp], None] | None = None
    on_phase_read: Callable[[FakeApp], None] | None = None

    def patch_status(self, partial_status: Mapping[str, Any], *, clear_operation: bool = False) -> None:
        self.patches += 1
        if self.on_patch is not None:
            self.on_patch(self)
        merge_patch(self.app.setdefault("status", {}), partial_status)
        if clear_operation:
            self.app.pop("operation", None)

    def operation_phase(self) -> str | None:
        if self.on_phase_read is not None:
            self.on_phase_read(self)
        state = (self.app.get("status") or {}).get("operationState") or {}
        return state.get("phase")

    def emit_event(self, reason: str, message: str, type_: str = "Normal") -> None:
        self.events.append((reason, message, type_))

    @property
    def state(self) -> dict[str, Any]:
        return dict(self.app["status"]["operationState"])

    def reasons(self) -> list[str]:
        return [r for r, _, _ in self.events]


def config(clock: FakeClock, **kw: Any) -> RunnerConfig:
    return RunnerConfig(clock=clock, sleep=clock.sleep, wave_delay=kw.pop("wave_delay", 2.0), **kw)


def application(
    *, operation: Mapping[str, Any] | None = None, spec: Mapping[str, Any] | None = None, name: str = "shop"
) -> dict[str, Any]:
    op = {"sync": {"revision": REVISION}, "initiatedBy": {"username": "alice"}}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd"},
        "spec": {"destination": {"namespace": "shop"}, **(spec or {})},
        "operation": dict(operation) if operation is not None else op,
    }


INSTANCE_LABEL = "app.kubernetes.io/instance"


def tracked(owner: str | None) -> dict[str, Any]:
    """The tracking label compare puts on every object the app renders (None: untracked)."""
    return {"labels": {INSTANCE_LABEL: owner}} if owner else {}


def cm(
    name: str, wave: int | None = None, ns: str = "shop", owner: str | None = "shop", **annotations: str
) -> dict[str, Any]:
    notes = dict(annotations)
    if wave is not None:
        notes["argocd.argoproj.io/sync-wave"] = str(wave)
    meta: dict[str, Any] = {"name": name, "namespace": ns, **tracked(owner)}
    if notes:
        meta["annotations"] = notes
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}}


def deployment(name: str, wave: int | None = None) -> dict[str, Any]:
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", **tracked("shop")},
        "spec": {"replicas": 1},
    }
    if wave is not None:
        obj["metadata"]["annotations"] = {"argocd.argoproj.io/sync-wave": str(wave)}
    return obj


def job(
    name: str,
    hook: str,
    *,
    policy: str | None = None,
    outcome: str | None = None,
    generate: bool = False,
    owner: str | None = "shop",
) -> dict[str, Any]:
    notes = {"argocd.argoproj.io/hook": hook}
    if policy:
        notes["argocd.argoproj.io/hook-delete-policy"] = policy
    if outcome:
        notes[OUTCOME] = outcome
    meta: dict[str, Any] = {"namespace": "shop", "annotations": notes, **tracked(owner)}
    meta["generateName" if generate else "name"] = name
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": {"template": {}}}
