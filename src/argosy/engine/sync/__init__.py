"""Sync planning: in which order Argosy applies, runs and deletes what, and when it syncs by itself.

A sync brings the cluster to what Git says. It runs in phases: **PreSync**
hooks, then **Sync** (your objects, plus ``Sync`` hooks), then **PostSync**
hooks once everything is healthy; if anything fails, **SyncFail** hooks run
instead of the rest. Within a phase, objects go in **waves**
(``argocd.argoproj.io/sync-wave: "-1"``, default 0, lowest first; the next
wave starts when the previous one is healthy), and within a wave in kind order
(Namespaces, then quotas, service accounts, secrets and config maps, storage,
CRDs, RBAC, services, workloads, ingresses; custom resources last), then by
name. A Namespace or CRD that an earlier object needs is moved ahead of it.

**Hooks** are objects annotated ``argocd.argoproj.io/hook`` (or Helm's
``helm.sh/hook``), typically Jobs: they run in their phase and are deleted as
their ``hook-delete-policy`` says (``BeforeHookCreation`` by default).

**Pruning** deletes live objects that Git no longer has, only when the sync
asks for it (``--prune`` or ``automated.prune``), in the reverse order of
creation; ``PruneLast=true`` defers it to the very end and ``Prune=false``
keeps an object forever. A render that is empty while the app still has
objects is refused unless ``allowEmpty`` is set: an empty render is more
often a broken path than a wish to delete everything.

**Sync options** (``spec.syncPolicy.syncOptions`` and the per-object
``argocd.argoproj.io/sync-options`` annotation) change how objects are written
(``ServerSideApply``, ``Replace``, ``Validate=false``...); objects too big for
client-side apply switch to server-side apply by themselves.

**Automated sync** applies each new revision once; **self-heal** reverts
drift after a short timeout, with backoff. Failed syncs retry per
``retry.backoff`` and then wait for a new commit.

Everything here is Argo CD's behaviour and annotations, and everything is
pure: the controller passes in what it knows (rendered objects, live objects,
the operation, the clock) and executes the answer. Modules: ``kind_order``
(the table), ``waves``, ``hooks``, ``options``, ``apply_mode``, ``ordering``,
``plan`` (the planner), ``autosync`` (auto-sync and self-heal decisions),
``retry`` (backoff). See ``docs/sync.md`` for the user guide.
"""

from argosy.engine.durations import DurationError
from argosy.engine.keys import ResourceKey
from argosy.engine.sync.apply_mode import ANNOTATIONS_SIZE_LIMIT, ApplyChoice, ApplyMode, choose_apply_mode
from argosy.engine.sync.autosync import (
    AutomatedPolicy,
    AutoSyncDecision,
    LastSync,
    ResourceState,
    SelfHealSettings,
    Verdict,
    auto_sync_operation,
    decide_auto_sync,
)
from argosy.engine.sync.common import Action, Problem, Severity, SyncPhase
from argosy.engine.sync.hooks import HookSpec, generated_hook_name, read_hook
from argosy.engine.sync.inputs import (
    AppSettings,
    DesiredObject,
    ResourceSelector,
    SyncRequest,
    request_from_operation,
)
from argosy.engine.sync.kind_order import KIND_ORDER, kind_index
from argosy.engine.sync.options import PropagationPolicy, ResolvedOptions, SyncOptions, parse_options, resolve
from argosy.engine.sync.plan import Skipped, SyncPlan, SyncStep, SyncTask, build_plan, plan_deletion_hooks
from argosy.engine.sync.retry import RetryPolicy, parse_retry
from argosy.engine.sync.waves import wave_of
from argosy.model.status import HookDeletePolicy, HookType

__all__ = [
    "ANNOTATIONS_SIZE_LIMIT",
    "KIND_ORDER",
    "Action",
    "AppSettings",
    "ApplyChoice",
    "ApplyMode",
    "AutoSyncDecision",
    "AutomatedPolicy",
    "DesiredObject",
    "DurationError",
    "HookDeletePolicy",
    "HookSpec",
    "HookType",
    "LastSync",
    "Problem",
    "PropagationPolicy",
    "ResolvedOptions",
    "ResourceKey",
    "ResourceSelector",
    "ResourceState",
    "RetryPolicy",
    "SelfHealSettings",
    "Severity",
    "Skipped",
    "SyncOptions",
    "SyncPhase",
    "SyncPlan",
    "SyncRequest",
    "SyncStep",
    "SyncTask",
    "Verdict",
    "auto_sync_operation",
    "build_plan",
    "choose_apply_mode",
    "decide_auto_sync",
    "generated_hook_name",
    "kind_index",
    "parse_options",
    "parse_retry",
    "plan_deletion_hooks",
    "read_hook",
    "request_from_operation",
    "resolve",
    "wave_of",
]
