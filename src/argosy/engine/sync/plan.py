"""The sync plan: every task of one sync operation, in run order, grouped in steps.

:func:`build_plan` is the whole planner. The runner executes the plan's
``steps`` one after the other (a step is one phase and wave; the runner waits
for a step's objects to be healthy and its hooks to finish before the next),
runs ``sync_fail`` only when a step failed, and refuses to start when
``plan.blocked`` (bad annotations, or an empty render that would delete
everything), reporting ``plan.failure_message()``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from argosy.engine.keys import ResourceKey
from argosy.engine.sync.apply_mode import ApplyMode, choose_apply_mode
from argosy.engine.sync.common import Action, Problem, Severity, SyncPhase, is_crd, metadata
from argosy.engine.sync.hooks import HookSpec, generated_hook_name, read_hook
from argosy.engine.sync.inputs import AppSettings, DesiredObject, SyncRequest
from argosy.engine.sync.kind_order import kind_index
from argosy.engine.sync.options import (
    ResolvedOptions,
    SyncOptions,
    app_options,
    parse_resource_options,
    resolve,
)
from argosy.engine.sync.ordering import Draft, order
from argosy.engine.sync.waves import wave_of
from argosy.model.status import HookType, SyncStatusCode


@dataclass(frozen=True)
class SyncTask:
    """One thing to do to one object in one phase."""

    key: ResourceKey
    phase: SyncPhase
    wave: int
    kind_order: int
    action: Action
    target: Mapping[str, Any] | None
    """The object to write (hooks: with their generated name); None for a prune."""
    live: Mapping[str, Any] | None
    hook: HookSpec | None
    options: ResolvedOptions
    apply_mode: ApplyMode | None = None
    apply_mode_reason: str = ""
    update_in_place: bool = False
    skip_dry_run_if_type_missing: bool = False
    """The kind may not exist yet (its CRD is in this sync, or SkipDryRunOnMissingResource)."""
    requires_confirmation: bool = False
    """``Prune=confirm`` and the Application has not approved deletion yet."""
    message: str = ""
    """For SKIP tasks, the result message (Argo CD's wording)."""
    notes: tuple[str, ...] = ()
    """Why the phase or wave differs from the object's annotations."""

    @property
    def is_prune(self) -> bool:
        return self.target is None

    @property
    def is_hook(self) -> bool:
        return self.hook is not None


@dataclass(frozen=True)
class SyncStep:
    """All tasks of one phase and wave: they run together."""

    phase: SyncPhase
    wave: int
    tasks: tuple[SyncTask, ...]

    @property
    def prunes(self) -> tuple[SyncTask, ...]:
        """Run first in the step, as Argo CD does."""
        return tuple(t for t in self.tasks if t.is_prune)

    @property
    def writes(self) -> tuple[SyncTask, ...]:
        return tuple(t for t in self.tasks if not t.is_prune)

    def kind_groups(self) -> Iterator[tuple[SyncTask, ...]]:
        """Consecutive writes of one kind: applied in parallel, one group after the other."""
        group: list[SyncTask] = []
        for task in self.writes:
            if group and group[0].key.kind != task.key.kind:
                yield tuple(group)
                group = []
            group.append(task)
        if group:
            yield tuple(group)


@dataclass(frozen=True)
class Skipped:
    """An object the plan leaves alone, and why."""

    key: ResourceKey
    reason: str


@dataclass(frozen=True)
class SyncPlan:
    tasks: tuple[SyncTask, ...]
    """Every task in run order, SyncFail hooks last."""
    steps: tuple[SyncStep, ...]
    sync_fail: tuple[SyncTask, ...]
    skipped: tuple[Skipped, ...] = ()
    problems: tuple[Problem, ...] = ()
    refusal: str = ""
    """Set when the plan must not run for a reason other than bad input (the empty-render guard)."""
    dry_run: bool = False
    namespace_task: SyncTask | None = field(default=None)
    """The ``CreateNamespace=true`` task, which the runner performs before the dry run."""

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)

    @property
    def blocked(self) -> bool:
        return bool(self.refusal or self.errors)

    def failure_message(self) -> str:
        """Why the plan is blocked, one line per reason (empty when it is not)."""
        lines = [self.refusal] if self.refusal else []
        return "\n".join([*lines, *(str(p) for p in self.errors)])


def build_plan(
    desired: Sequence[DesiredObject],
    prunable: Iterable[Mapping[str, Any]],
    request: SyncRequest,
    app: AppSettings = AppSettings(),
    *,
    destination_namespace_live: Mapping[str, Any] | None = None,
) -> SyncPlan:
    """Plan one sync.

    ``desired`` is the whole render (hooks included); ``prunable`` the live
    objects tracked by the app that the render no longer has;
    ``destination_namespace_live`` the live destination Namespace, if any
    (used by ``CreateNamespace=true``).
    """
    problems: list[Problem] = []
    skipped: list[Skipped] = []
    app_opts, found = app_options(app.sync_options, request.sync_options)
    problems += found
    skip_hooks = request.apply_only or bool(request.resources)
    crd_kinds = _crd_kinds(d.obj for d in desired)

    def selected(key: ResourceKey) -> bool:
        return not request.resources or any(s.matches(key) for s in request.resources)

    drafts: list[Draft] = []
    for item in desired:
        hook, found = read_hook(item.obj)
        problems += found
        wave, found = wave_of(item.obj)
        problems += found
        res_opts, found = parse_resource_options(item.obj)
        problems += found
        key = ResourceKey.of(item.obj)
        options = resolve(app_opts, res_opts, force=request.force)
        if hook is None:
            if not selected(key):
                continue
            if app_opts.flag("ApplyOutOfSyncOnly") and item.status is SyncStatusCode.SYNCED and item.live:
                skipped.append(Skipped(key, "in sync and ApplyOutOfSyncOnly=true"))
                continue
            drafts.append(Draft(key, SyncPhase.SYNC, wave, item.obj, item.live, (None, options)))
            continue
        if hook.skip:
            skipped.append(Skipped(key, "argocd.argoproj.io/hook: Skip"))
            continue
        if not hook.sync_phases:
            if not (hook.runs_on(HookType.POST_DELETE) or hook.runs_on(HookType.PRE_DELETE)):
                skipped.append(Skipped(key, "hook with no supported phase"))
            continue
        if skip_hooks:
            why = "a partial sync" if request.resources else "the apply strategy"
            skipped.append(Skipped(key, f"hooks do not run in {why}"))
            continue
        for phase in hook.sync_phases:
            target = _named_hook(item.obj, request, phase)
            drafts.append(Draft(ResourceKey.of(target), phase, wave, target, item.live, (hook, options)))

    renders_nothing = not any(read_hook(d.obj)[0] is None for d in desired)
    for live in prunable:
        key = ResourceKey.of(live)
        hook, _ = read_hook(live)
        if hook is not None or not selected(key):
            continue  # live hooks are never pruned, as in Argo CD
        wave, found = wave_of(live)
        res_opts, found2 = parse_resource_options(live)
        # The object is gone from Git: its annotations cannot be fixed there, so do not block on them.
        problems += [Problem(Severity.WARNING, p.message, p.key, p.field) for p in found + found2]
        drafts.append(Draft(key, SyncPhase.SYNC, wave, None, live, (None, resolve(app_opts, res_opts))))

    ns_draft = _namespace_draft(app, app_opts, desired, destination_namespace_live)
    if ns_draft is not None:
        drafts.append(ns_draft)

    ordered = order(drafts, prune_last=lambda d: d.payload[1].prune_last)
    tasks = [_finish(d, request, crd_kinds, problems) for d in ordered]
    refusal = _empty_render_refusal(renders_nothing, tasks, request, app)
    runnable = tuple(t for t in tasks if t.phase is not SyncPhase.SYNC_FAIL)
    return SyncPlan(
        tasks=tuple(tasks),
        steps=_steps(runnable),
        sync_fail=tuple(t for t in tasks if t.phase is SyncPhase.SYNC_FAIL),
        skipped=tuple(skipped),
        problems=tuple(problems),
        refusal=refusal,
        dry_run=request.dry_run,
        namespace_task=next((t for t in tasks if ns_draft is not None and t.key == ns_draft.key), None),
    )


def _finish(d: Draft, request: SyncRequest, crd_kinds: set[str], problems: list[Problem]) -> SyncTask:
    hook, options = d.payload
    common = {
        "key": d.key,
        "phase": d.phase,
        "wave": d.wave,
        "kind_order": kind_index(d.key.kind),
        "target": d.target,
        "live": d.live,
        "hook": hook,
        "options": options,
        "notes": tuple(d.notes),
    }
    if d.target is None:
        if not request.prune:
            return SyncTask(action=Action.SKIP, message="ignored (requires pruning)", **common)
        if options.prune == "false":
            return SyncTask(action=Action.SKIP, message="ignored (no prune)", **common)
        confirm = options.prune == "confirm" and not request.prune_confirmed
        return SyncTask(action=Action.PRUNE, requires_confirmation=confirm, **common)
    choice, found = choose_apply_mode(d.target, options, exists=d.live is not None)
    problems += found
    if choice.mode is ApplyMode.REPLACE:
        action = Action.REPLACE if d.live is not None else Action.CREATE
    else:
        action = Action.APPLY
    skip_dry_run = options.skip_dry_run_on_missing_resource or f"{d.key.group}/{d.key.kind}" in crd_kinds
    return SyncTask(
        action=action,
        apply_mode=choice.mode,
        apply_mode_reason=choice.reason,
        update_in_place=choice.update_in_place,
        skip_dry_run_if_type_missing=skip_dry_run,
        **common,
    )


def _steps(tasks: Sequence[SyncTask]) -> tuple[SyncStep, ...]:
    steps: list[SyncStep] = []
    current: list[SyncTask] = []
    for task in tasks:
        if current and (current[0].phase, current[0].wave) != (task.phase, task.wave):
            steps.append(SyncStep(current[0].phase, current[0].wave, tuple(current)))
            current = []
        current.append(task)
    if current:
        steps.append(SyncStep(current[0].phase, current[0].wave, tuple(current)))
    return tuple(steps)


def _named_hook(obj: Mapping[str, Any], request: SyncRequest, phase: SyncPhase) -> Mapping[str, Any]:
    meta = metadata(obj)
    if meta.get("name") or not meta.get("generateName"):
        return obj
    named = copy.deepcopy(dict(obj))
    named["metadata"] = dict(named.get("metadata") or {})
    named["metadata"]["name"] = generated_hook_name(
        str(meta["generateName"]), request.revision, phase, request.started_at
    )
    return named


def _crd_kinds(objs: Iterable[Mapping[str, Any]]) -> set[str]:
    kinds: set[str] = set()
    for obj in objs:
        spec = obj.get("spec")
        if is_crd(obj) and isinstance(spec, Mapping) and isinstance(spec.get("names"), Mapping):
            kinds.add(f"{spec.get('group')}/{spec['names'].get('kind')}")
    return kinds


def _namespace_draft(
    app: AppSettings,
    app_opts: SyncOptions,
    desired: Sequence[DesiredObject],
    live: Mapping[str, Any] | None,
) -> Draft | None:
    """Argo CD's CreateNamespace: a PreSync task, unless the render declares that Namespace."""
    name = app.destination_namespace
    if not name or not app_opts.flag("CreateNamespace"):
        return None
    key = ResourceKey("", "Namespace", "", name)
    if any(ResourceKey.of(d.obj) == key for d in desired):
        return None
    wanted = app.managed_namespace_metadata or {}
    meta: dict[str, Any] = {"name": name}
    for part in ("labels", "annotations"):
        values = wanted.get(part)
        if isinstance(values, Mapping) and values:
            meta[part] = {str(k): str(v) for k, v in values.items()}
    if live is not None:
        live_meta = metadata(live)
        if all(
            dict(live_meta.get(part) or {}).items() >= dict(meta.get(part) or {}).items()
            for part in ("labels", "annotations")
        ):
            return None
    target = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}
    note = "CreateNamespace=true" + (" (managedNamespaceMetadata)" if len(meta) > 1 else "")
    return Draft(key, SyncPhase.PRE_SYNC, 0, target, live, (None, resolve(app_opts, SyncOptions())), [note])


def _empty_render_refusal(
    renders_nothing: bool, tasks: Sequence[SyncTask], request: SyncRequest, app: AppSettings
) -> str:
    doomed = [t for t in tasks if t.action is Action.PRUNE]
    if not renders_nothing or not doomed or app.allow_empty:
        return ""
    examples = ", ".join(str(t.key) for t in doomed[:3]) + (" ..." if len(doomed) > 3 else "")
    return (
        f"Refusing to sync revision {request.revision or '(unknown)'}: the rendered manifests contain no "
        f"objects, and syncing would delete all {len(doomed)} live object(s) of the application "
        f"({examples}). Check the source path and revision; if an empty application is intended, set "
        "spec.syncPolicy.automated.allowEmpty: true"
    )


def plan_deletion_hooks(
    desired: Sequence[DesiredObject], hook_type: HookType, request: SyncRequest
) -> tuple[tuple[SyncTask, ...], tuple[Problem, ...]]:
    """The PreDelete or PostDelete hooks to run when the Application is deleted, in run order."""
    phase = SyncPhase.POST_DELETE if hook_type is HookType.POST_DELETE else SyncPhase.PRE_DELETE
    problems: list[Problem] = []
    drafts: list[Draft] = []
    for item in desired:
        hook, found = read_hook(item.obj)
        problems += found
        if hook is None or not hook.runs_on(hook_type):
            continue
        wave, found = wave_of(item.obj)
        res_opts, found2 = parse_resource_options(item.obj)
        problems += found + found2
        target = _named_hook(item.obj, request, phase)
        options = resolve(SyncOptions(), res_opts, force=request.force)
        drafts.append(Draft(ResourceKey.of(target), phase, wave, target, item.live, (hook, options)))
    ordered = order(drafts, prune_last=lambda _: False)
    return tuple(_finish(d, request, set(), problems) for d in ordered), tuple(problems)
