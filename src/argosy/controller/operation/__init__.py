"""Sync operations: what happens after you press *Sync* (or auto-sync decides to).

A sync is requested by writing ``operation.sync`` on the Application (the CLI,
the API and auto-sync all do). The controller then runs it, as Argo CD does:

1. **Plan** the sync (phases, waves, hooks, prunes: :mod:`argosy.engine.sync`).
   A plan with errors (an unknown hook type, a malformed wave, an empty render
   that would delete everything) fails the sync before anything is touched.
2. **Create the namespace** when ``CreateNamespace=true`` (with
   ``managedNamespaceMetadata``).
3. **Dry-run everything** on the API server. A single rejected manifest fails
   the sync and nothing is changed. Custom resources whose CRD is part of the
   same sync, or marked ``SkipDryRunOnMissingResource=true``, are not dry-run.
4. **Run the steps**: PreSync hooks, then each wave of the Sync phase, then
   PostSync hooks. In each step old hooks are deleted first
   (``BeforeHookCreation``), objects are pruned and written, and the next step
   waits until the hooks completed (Jobs and Pods through their health) and
   the objects are healthy, plus ``ARGOCD_SYNC_WAVE_DELAY`` seconds (default 2).
5. **Finish**: on success, ``HookSucceeded`` hooks are deleted and the sync is
   added to ``status.history`` (capped by ``revisionHistoryLimit``, default 10);
   on failure, ``SyncFail`` hooks run and ``HookFailed`` hooks are deleted, and
   the sync is retried as ``retry`` says (``limit``, ``backoff``).

Progress is written to ``status.operationState`` after every step (phase
Running/Succeeded/Failed/Error, message, ``syncResult.resources[]`` with each
object's result, hook phase and start/finish time). A controller that stops
mid-sync resumes from there: it does not repeat what was done and does not
start a hook twice. Setting ``status.operationState.phase: Terminating``
(``argosy app terminate-op``) stops the sync: running hooks are deleted and
the operation ends Failed, "Operation terminated".

Deleting an Application with the ``resources-finalizer.argocd.argoproj.io``
finalizer deletes its objects, then runs its ``PostDelete`` hooks
(:mod:`.deletion`). Kubernetes Events record the start and end of each
operation and every object written (:mod:`.events`).

Modules: :mod:`.ports` (the interfaces the controller provides),
:mod:`.runner` (:class:`OperationRunner`), :mod:`.attempt` (one pass over the
plan), :mod:`.state` (``operationState`` bookkeeping), :mod:`.hooks`,
:mod:`.history`, :mod:`.deletion`, :mod:`.events`, :mod:`.kubeport` (the
ports over a real cluster).
"""

from argosy.controller.operation.deletion import DeletionResult, delete_app_resources, deletion_propagation
from argosy.controller.operation.history import append_history, history_entry
from argosy.controller.operation.ports import AppPort, ClusterPort, RunnerConfig, wave_delay_from_env
from argosy.controller.operation.runner import OperationRunner, retry_policy
from argosy.controller.operation.state import OperationRecord, TaskResult, resume_revision

__all__ = [
    "AppPort",
    "ClusterPort",
    "DeletionResult",
    "OperationRecord",
    "OperationRunner",
    "RunnerConfig",
    "TaskResult",
    "append_history",
    "delete_app_resources",
    "deletion_propagation",
    "history_entry",
    "resume_revision",
    "retry_policy",
    "wave_delay_from_env",
]
