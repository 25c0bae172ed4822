"""Deleting an Application's resources: the resources finalizer and PostDelete hooks.

When an Application is deleted, what happens to its objects depends on its
finalizers, as in Argo CD:

* ``resources-finalizer.argocd.argoproj.io``: every tracked object is deleted
  with foreground cascading (owned objects first), and the Application goes
  only when they are gone;
* ``resources-finalizer.argocd.argoproj.io/background``: the same with
  background cascading (Kubernetes' garbage collector removes owned objects
  afterwards);
* neither: nothing is deleted; the objects stay in the cluster, unmanaged.

Only objects whose tracking metadata names this application are deleted
(:mod:`.ownership`): an object at the same key that another app tracks, or
that nobody tracks, is kept, logged and reported (``DeletionSkipped`` Event,
:attr:`DeletionResult.kept`). Objects annotated ``argocd.argoproj.io/sync-options: Delete=false`` are always
kept. After the objects are gone, ``PostDelete`` hooks from the app's
manifests run and are awaited; they are deleted as their
``hook-delete-policy`` says. :func:`delete_app_resources` does all of it and
returns; the caller then removes the finalizers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from argosy.controller.operation import hooks
from argosy.controller.operation.attempt import ref
from argosy.controller.operation.ownership import Deleted, DeleteReason, Ownership, delete_owned
from argosy.controller.operation.ports import AppPort, ClusterPort, RunnerConfig
from argosy.controller.operation.state import parse_timestamp
from argosy.engine.sync import (
    ApplyMode,
    DesiredObject,
    HookType,
    PropagationPolicy,
    ResourceKey,
    SyncRequest,
    plan_deletion_hooks,
)
from argosy.engine.sync.options import deletion_disabled
from argosy.model.constants import RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND
from argosy.model.status import OperationPhase


@dataclass
class DeletionResult:
    """What :func:`delete_app_resources` did."""

    deleted: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    """Objects left in place, with why: ``Delete=false``, no resources finalizer, or another
    application (or nobody) tracks them."""
    hooks: dict[str, str] = field(default_factory=dict)
    """PostDelete hook -> its final phase (Succeeded, Failed)."""
    succeeded: bool = True
    message: str = ""


def deletion_propagation(app: Mapping[str, Any]) -> PropagationPolicy | None:
    """The cascading the app's finalizers ask for; None when its resources must be kept."""
    finalizers = (app.get("metadata") or {}).get("finalizers") or []
    if RESOURCES_FINALIZER_BACKGROUND in finalizers:
        return PropagationPolicy.BACKGROUND
    if RESOURCES_FINALIZER in finalizers:
        return PropagationPolicy.FOREGROUND
    return None


def delete_app_resources(
    app: Mapping[str, Any],
    candidates: Sequence[Mapping[str, Any]],
    cluster: ClusterPort,
    app_port: AppPort,
    *,
    post_delete_hooks: Sequence[Mapping[str, Any]] = (),
    revision: str = "",
    config: RunnerConfig | None = None,
) -> DeletionResult:
    """Delete the app's objects among ``candidates`` as its finalizers say, then run its PostDelete hooks.

    ``candidates`` are live objects the caller believes are the app's (its
    tracked objects in the live cache); each is re-read and deleted only when
    its tracking names this app, so a stale or over-wide list deletes nothing
    that is not ours. Blocks until the objects are gone and the hooks finished
    (bounded by ``config.wait_timeout`` when set; then ``succeeded`` is False
    and the caller should keep the finalizer and try again later).
    """
    config = config or RunnerConfig()
    result = DeletionResult()
    propagation = deletion_propagation(app)
    if propagation is None:
        result.kept = [f"{ResourceKey.of(o)} (no resources finalizer)" for o in candidates]
        result.message = "no resources finalizer: the application's resources are kept"
        return result
    ownership = Ownership.of(app, config)
    doomed: list[Mapping[str, Any]] = []
    for obj in candidates:
        if deletion_disabled(obj):
            result.kept.append(f"{ResourceKey.of(obj)} (Delete=false)")
            continue
        try:
            outcome = delete_owned(
                cluster, app_port, ref(obj), ownership, why=DeleteReason.CASCADE, propagation=propagation
            )
        except Exception as exc:
            result.succeeded = False
            result.message = f"failed to delete {ResourceKey.of(obj)}: {exc}; it is retried"
            return result
        if outcome.result is Deleted.SKIPPED:
            result.kept.append(outcome.describe())
            continue
        doomed.append(obj)
        result.deleted.append(outcome.key)
    if not _wait(config, lambda: [o for o in doomed if cluster.get(ref(o)) is not None]):
        result.succeeded = False
        result.message = (
            "timed out waiting for the application's resources to be deleted; check their finalizers"
        )
        return result
    being_deleted = bool((app.get("metadata") or {}).get("deletionTimestamp"))
    if post_delete_hooks and being_deleted:
        _run_post_delete_hooks(app, post_delete_hooks, cluster, app_port, revision, config, result)
    if result.succeeded and not result.message:
        result.message = f"deleted {len(result.deleted)} resource(s)" + (
            f", kept {len(result.kept)}" if result.kept else ""
        )
    return result


def _run_post_delete_hooks(
    app: Mapping[str, Any],
    objs: Sequence[Mapping[str, Any]],
    cluster: ClusterPort,
    app_port: AppPort,
    revision: str,
    config: RunnerConfig,
    result: DeletionResult,
) -> None:
    meta = app.get("metadata") or {}
    started = parse_timestamp(str(meta.get("deletionTimestamp")))
    request = SyncRequest(revision=revision, started_at=started)
    tasks, _ = plan_deletion_hooks([DesiredObject(o) for o in objs], HookType.POST_DELETE, request)
    ownership = Ownership.of(app, config)
    for task in tasks:
        assert task.target is not None
        live = cluster.get(ref(task.target))
        if live is not None and hooks.deletes_before_creation(task):
            created = (live.get("metadata") or {}).get("creationTimestamp")
            if not created or parse_timestamp(str(created)) < started:
                target = ref(task.target)
                outcome = delete_owned(
                    cluster,
                    app_port,
                    target,
                    ownership,
                    why=DeleteReason.HOOK,
                    propagation=PropagationPolicy.FOREGROUND,
                    desired=task.target,
                )
                if outcome.result is Deleted.SKIPPED:
                    result.succeeded = False
                    result.message = f"PostDelete hook {task.key} cannot be created: {outcome.reason}"
                    return
                _wait(config, _still_there(cluster, target))
                live = None
        if live is None:
            try:
                cluster.apply(
                    task.target,
                    mode=task.apply_mode or ApplyMode.CLIENT_SIDE,
                    dry_run=False,
                    force=False,
                    validate=task.options.validate,
                )
            except Exception as exc:
                result.succeeded = False
                result.message = f"PostDelete hook {task.key} could not be created: {exc}"
                return

    def pending() -> list[Any]:
        left = []
        for task in tasks:
            live = cluster.get(ref(task.target or {}))
            phase = (
                OperationPhase.FAILED.value if live is None else hooks.hook_phase(live, config.overrides)[0]
            )
            result.hooks[str(task.key)] = phase
            if phase == OperationPhase.RUNNING.value:
                left.append(task)
        return left

    if not _wait(config, pending):
        result.succeeded = False
        result.message = "timed out waiting for PostDelete hooks to complete"
        return
    failed = [k for k, phase in result.hooks.items() if phase != OperationPhase.SUCCEEDED.value]
    for task in tasks:
        phase = result.hooks.get(str(task.key))
        ok = phase == OperationPhase.SUCCEEDED.value
        if (ok and hooks.deletes_on_success(task)) or (not ok and hooks.deletes_on_failure(task)):
            delete_owned(
                cluster,
                app_port,
                ref(task.target or {}),
                ownership,
                why=DeleteReason.HOOK,
                propagation=PropagationPolicy.FOREGROUND,
                desired=task.target,
            )
    if failed:
        result.succeeded = False
        result.message = (
            f"PostDelete hook(s) failed: {', '.join(failed)}; fix them and delete the hook to retry"
        )


def _still_there(cluster: ClusterPort, obj: dict[str, Any]) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [obj] if cluster.get(obj) is not None else []


def _wait(config: RunnerConfig, pending: Callable[[], Sequence[Any]]) -> bool:
    """Poll ``pending()`` until it returns nothing; False on ``config.wait_timeout``."""
    deadline = None if config.wait_timeout is None else config.clock().timestamp() + config.wait_timeout
    while pending():
        if deadline is not None and config.clock().timestamp() >= deadline:
            return False
        config.sleep(config.poll_interval)
    return True
