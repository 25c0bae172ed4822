"""Reconcile one Application: render, compare, write status, decide automated sync.

One call handles one app key from the work queue and never raises: every
failure (unknown project or cluster, unreachable cluster, failed render,
invalid ignore rule) becomes a condition on the app, the previous resources
are kept, and nothing is pruned or synced on a comparison that did not happen.
"""

from __future__ import annotations

import fnmatch
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from argosy.controller.compare import Comparison, api_group, compare_app
from argosy.controller.settings import ControllerSettings
from argosy.controller.status import (
    changed,
    comparison_status,
    failed_comparison_status,
    merge_conditions,
    now_iso,
)
from argosy.engine import project as project_rules
from argosy.engine.sync import (
    AutomatedPolicy,
    LastSync,
    ResourceKey,
    ResourceState,
    SelfHealSettings,
    auto_sync_operation,
    decide_auto_sync,
)
from argosy.engine.syncwindows import SyncDecision, SyncWindows
from argosy.engine.tracking import instance_name
from argosy.kube.exclusions import AppExclusions, ExclusionsError, ResourceFilter
from argosy.repo import RenderRequest, RenderResult, RepoError
from argosy.repo.sops.selection import key_material
from argosy.settings.clusters import ClusterConfig

log = logging.getLogger(__name__)
Obj = dict[str, Any]
REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"


class LiveState(Protocol):
    """What the reconciler needs of one destination cluster's live cache."""

    def connection_error(self) -> str:
        """Empty when the cluster's cache is connected and synced, else why not."""
        ...

    def server_version(self) -> str: ...

    def api_versions(self) -> list[str]: ...

    def is_namespaced(self, group: str, kind: str) -> bool | None: ...

    def owned_by(self, instance: str) -> dict[ResourceKey, Obj]: ...

    def get(self, key: ResourceKey) -> Obj | None: ...

    def predict(self, desired: Obj, live: Obj) -> Obj | None:
        """The server-side-apply dry-run result of ``desired`` (None when unavailable)."""
        ...

    def unowned_in(self, namespace: str) -> list[Obj]:
        """Top-level objects of ``namespace`` that no Application tracks."""
        ...


class ControlPlane(Protocol):
    """Reads and writes on the control-plane cluster the reconciler needs."""

    def patch_app(self, namespace: str, name: str, patch: Obj) -> Obj | None: ...

    def project(self, namespace: str, name: str) -> Obj | None: ...

    def repository_secrets(self) -> list[Obj]: ...

    def secret(self, name: str) -> Obj | None: ...

    def emit_event(self, app: Obj, reason: str, message: str, type_: str = "Normal") -> None: ...


class Renderer(Protocol):
    def render(self, req: RenderRequest) -> RenderResult: ...


class ComparisonFailed(Exception):
    """The comparison could not be made; becomes a condition of ``type`` on the app."""

    def __init__(self, type_: str, message: str, requeue_after: float | None = None) -> None:
        super().__init__(message)
        self.type = type_
        self.message = message
        self.requeue_after = requeue_after


@dataclass
class Snapshot:
    """Everything one comparison produced, for the status writer and the sync runner."""

    cluster: ClusterConfig
    live: LiveState
    rendered: RenderResult
    comparison: Comparison
    conditions: list[dict[str, str]]
    project: Obj


@dataclass
class Outcome:
    """What one reconcile did, for metrics and for scheduling the next one."""

    requeue_after: float | None = None
    wrote_status: bool = False
    started_sync: bool = False
    comparison: Comparison | None = None
    error: str = ""
    blocked_by_window: str = ""


# Never orphans, as in Argo CD: objects Kubernetes itself puts in every namespace.
_NEVER_ORPHANED = (
    ("", "ServiceAccount", "default"),
    ("", "ConfigMap", "kube-root-ca.crt"),
)


def orphaned_resources(project: Obj, live: LiveState, cluster: ClusterConfig, namespace: str) -> int | None:
    """How many orphaned resources the destination namespace has, when the project warns about them.

    ``spec.orphanedResources`` turns monitoring on (``warn`` defaults to true);
    objects of kinds the project denies, the ``ignore`` list (group/kind/name
    globs) and what Kubernetes creates in every namespace are never orphans.
    """
    settings = (project.get("spec") or {}).get("orphanedResources")
    if not isinstance(settings, dict) or settings.get("warn") is False or not namespace:
        return None
    ignore = [i for i in settings.get("ignore") or [] if isinstance(i, dict)]
    count = 0
    for obj in live.unowned_in(namespace):
        group, kind = api_group(obj), str(obj.get("kind") or "")
        name = str((obj.get("metadata") or {}).get("name") or "")
        if (group, kind, name) in _NEVER_ORPHANED or (kind == "Service" and name == "kubernetes"):
            continue
        if any(
            fnmatch.fnmatchcase(group, str(i.get("group") or "*"))
            and fnmatch.fnmatchcase(kind, str(i.get("kind") or "*"))
            and fnmatch.fnmatchcase(name, str(i.get("name") or "*"))
            for i in ignore
        ):
            continue
        destination = {"server": cluster.server, "name": cluster.display_name, "namespace": namespace}
        if project_rules.check_resource(project, obj, namespaced=True, destination=destination) is not None:
            continue  # denied in the project: managed by cluster administrators
        count += 1
    return count


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
        renderer: Renderer,
        settings: Callable[[], ControllerSettings],
        resolve_cluster: Callable[[Obj], ClusterConfig],
        live_for: Callable[[ClusterConfig], LiveState],
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cp = control_plane
        self.renderer = renderer
        self.settings = settings
        self.resolve_cluster = resolve_cluster
        self.live_for = live_for
        self.clock = clock

    # ---------------------------------------------------------------- public
    def reconcile(self, app: Obj) -> Outcome:
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
            outcome = self._reconcile(app, settings, refresh)
        except Exception as exc:  # never let one app break the loop
            log.exception("reconciling application %s/%s failed", namespace, name)
            outcome = Outcome(error=f"internal error: {exc}")
            self._write(app, failed_comparison_status(app, [_cond("UnknownError", outcome.error)]), refresh)
        if outcome.requeue_after is None or (periodic is not None and periodic < outcome.requeue_after):
            outcome.requeue_after = periodic
        return outcome

    # --------------------------------------------------------------- helpers
    def _write(self, app: Obj, status: Obj, refresh: str, force: bool = False) -> bool:
        meta = app.get("metadata") or {}
        patch: Obj = {}
        if force or refresh or changed(app.get("status") or {}, status):
            patch["status"] = status
        if refresh:
            patch["metadata"] = {"annotations": {REFRESH_ANNOTATION: None}}
        if not patch:
            return False
        self.cp.patch_app(str(meta.get("namespace")), str(meta.get("name")), patch)
        return "status" in patch

    def _fail(self, app: Obj, refresh: str, type_: str, message: str) -> Outcome:
        previous = (app.get("status") or {}).get("conditions") or []
        if not any(c.get("type") == type_ and c.get("message") == message for c in previous):
            # An Event when the problem appears (not on every retry), as kubectl describe shows them.
            self.cp.emit_event(app, type_, message, "Warning")
        wrote = self._write(app, failed_comparison_status(app, [_cond(type_, message)]), refresh)
        return Outcome(wrote_status=wrote, error=message)

    def prepare(self, app: Obj, settings: ControllerSettings, no_cache: bool = False) -> Snapshot:
        """Check the app against its project, render it and compare it with live state.

        Raises :class:`ComparisonFailed` (condition type + message) on anything
        that stops an honest comparison; the sync runner uses the same path so
        it applies exactly what the comparison saw.
        """
        meta = app.get("metadata") or {}
        spec = app.get("spec") or {}
        name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        if settings.problems:
            raise ComparisonFailed("InvalidSpecError", "; ".join(settings.problems))
        project_name = str(spec.get("project") or "")
        project = self.cp.project(settings.namespace, project_name) if project_name else None
        if project is None:
            raise ComparisonFailed(
                "InvalidSpecError",
                f"Application referencing project {project_name or '(empty)'} which does not exist",
            )
        try:
            cluster = self.resolve_cluster(spec.get("destination") or {})
        except LookupError as exc:
            raise ComparisonFailed("InvalidSpecError", f"spec.destination: {exc}") from exc
        violations = project_rules.check_application(
            project, app, control_plane_namespace=settings.namespace, clusters=[_cluster_dict(cluster)]
        )
        if violations:
            raise ComparisonFailed("InvalidSpecError", "; ".join(v.message for v in violations))

        live = self.live_for(cluster)
        down = live.connection_error()
        if down:
            # Unknown, never "everything is missing": nothing may be pruned on this basis.
            raise ComparisonFailed("ComparisonError", f"cluster {cluster.describe()}: {down}", 10.0)

        from argosy.settings.repositories import RepositoryStore

        try:
            request = RenderRequest.from_application(
                app,
                kube_version=live.server_version(),
                api_versions=live.api_versions(),
                repositories=RepositoryStore.from_objects(self.cp.repository_secrets()),
                kustomize_build_options=settings.data.get("kustomize.buildOptions", ""),
                no_cache=no_cache,
                sops=key_material(app, project, settings.data, self.cp.secret, settings.namespace),
            )
            rendered = self.renderer.render(request)
        except (RepoError, ValueError) as exc:
            raise ComparisonFailed(
                "ComparisonError", f"rendering {_sources(app)} failed: {exc}", 30.0
            ) from exc
        try:
            exclusions = AppExclusions.from_application(app)
            resource_filter = ResourceFilter.from_argocd_cm(settings.data)
        except ExclusionsError as exc:
            raise ComparisonFailed("InvalidSpecError", str(exc)) from exc
        desired, conditions = [], []
        dest_ns = str((spec.get("destination") or {}).get("namespace") or "")
        for obj in rendered.manifests():
            group, kind = api_group(obj), str(obj.get("kind") or "")
            obj_meta = obj.get("metadata") or {}
            if exclusions.excludes(
                group, kind, str(obj_meta.get("namespace") or dest_ns), str(obj_meta.get("name"))
            ):
                message = (
                    f"Resource {group}/{kind} {obj_meta.get('name')} is excluded by the application's "
                    "argosy.io/resource-exclusions annotation"
                )
                conditions.append(_cond("ExcludedResourceWarning", message))
            elif resource_filter.is_excluded(group, kind, cluster.server, cluster.display_name):
                name_of = (obj.get("metadata") or {}).get("name")
                message = f"Resource {group}/{kind} {name_of} is excluded in the settings"
                conditions.append(_cond("ExcludedResourceWarning", message))
            else:
                desired.append(obj)
        try:
            config = settings.diff_config(app)
        except ValueError as exc:
            raise ComparisonFailed("InvalidSpecError", str(exc)) from exc
        instance = instance_name(name, namespace, settings.namespace)
        owned = {k: v for k, v in live.owned_by(instance).items() if not exclusions.excludes_object(v)}
        comparison = compare_app(
            app,
            desired,
            owned,
            live.get,
            settings,
            live.is_namespaced,
            predict=live.predict,
            diff_config=config,
            server_side_default=settings.server_side_diff,
        )
        denied = project_rules.check_resources(
            project,
            [(r.desired, bool(r.key.namespace)) for r in comparison.resources if r.desired is not None],
            destination={
                "server": cluster.server,
                "name": cluster.display_name,
                "namespace": str((spec.get("destination") or {}).get("namespace") or ""),
            },
        )
        if denied:
            raise ComparisonFailed("InvalidSpecError", "; ".join(v.message for v in denied))
        orphans = orphaned_resources(
            project, live, cluster, str((spec.get("destination") or {}).get("namespace") or "")
        )
        if orphans:
            conditions.append(
                _cond("OrphanedResourceWarning", f"Application has {orphans} orphaned resources")
            )
        return Snapshot(cluster, live, rendered, comparison, conditions, project)

    def deletion_candidates(self, app: Obj, settings: ControllerSettings) -> tuple[ClusterConfig, list[Obj]]:
        """The app's destination and the live objects a cascade deletion considers.

        They are the objects whose tracking names the app (as Argo CD's
        ``GetManagedLiveObjs``), plus whatever lives at the keys the app recorded in
        ``status.resources``, so that objects another app (or nobody) owns there are
        reported as kept rather than passed over in silence; the deletion itself
        decides per object (:mod:`argosy.controller.operation.ownership`). No render
        is needed, so an app whose repository is gone can still be deleted. Objects
        created by controllers from ours (ownerReferences) are left to Kubernetes'
        garbage collector; objects the app excludes are not managed.
        """
        meta = app.get("metadata") or {}
        spec = app.get("spec") or {}
        try:
            cluster = self.resolve_cluster(spec.get("destination") or {})
        except LookupError as exc:
            raise ComparisonFailed("InvalidSpecError", f"spec.destination: {exc}") from exc
        live = self.live_for(cluster)
        down = live.connection_error()
        if down:
            raise ComparisonFailed("ComparisonError", f"cluster {cluster.describe()}: {down}", 10.0)
        try:
            exclusions = AppExclusions.from_application(app)
        except ExclusionsError as exc:
            raise ComparisonFailed("InvalidSpecError", str(exc)) from exc
        instance = instance_name(
            str(meta.get("name") or ""), str(meta.get("namespace") or ""), settings.namespace
        )
        found = dict(live.owned_by(instance))
        for entry in (app.get("status") or {}).get("resources") or []:
            if isinstance(entry, dict) and entry.get("kind") and entry.get("name"):
                key = ResourceKey(
                    str(entry.get("group") or ""),
                    str(entry["kind"]),
                    str(entry.get("namespace") or ""),
                    str(entry["name"]),
                )
                obj = found.get(key) or live.get(key)
                if obj is not None:
                    found[key] = obj
        objs = [
            obj
            for obj in found.values()
            if not (obj.get("metadata") or {}).get("ownerReferences") and not exclusions.excludes_object(obj)
        ]
        return cluster, objs

    def _reconcile(self, app: Obj, settings: ControllerSettings, refresh: str) -> Outcome:
        try:
            snap = self.prepare(app, settings, no_cache=refresh == "hard")
        except ComparisonFailed as failed:
            out = self._fail(app, refresh, failed.type, failed.message)
            out.requeue_after = failed.requeue_after
            return out
        tools = [s.tool for s in snap.rendered.sources]
        status = comparison_status(app, snap.comparison, snap.rendered.revisions, tools, snap.conditions)
        outcome = Outcome(comparison=snap.comparison)
        # As Argo CD: the SyncError condition is what this auto-sync decision says (cleared when it
        # says nothing), written with the comparison's status so neither overwrites the other.
        sync_error = self._auto_sync(app, snap.project, settings, snap.comparison, snap.rendered, outcome)
        status["conditions"] = merge_conditions(
            status["conditions"],
            [_cond("SyncError", sync_error)] if sync_error else [],
            frozenset({"SyncError"}),
            now_iso(),
        )
        outcome.wrote_status = self._write(app, status, refresh)
        return outcome

    def _auto_sync(
        self,
        app: Obj,
        project: Obj,
        settings: ControllerSettings,
        comparison: Comparison,
        rendered: RenderResult,
        out: Outcome,
    ) -> str:
        """Start an automated sync when due; returns the SyncError message to show (or "")."""
        policy = AutomatedPolicy.from_application(app)
        if policy is None or app.get("operation"):
            return ""
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
        if decision.verdict == "sync":
            windows = window_decision(project, app, self.clock(), manual=False)
            if windows is not None and not windows.allowed:
                # Wait for the window: look again when it opens (or in a minute if unknown).
                opens = SyncWindows.from_project(project).matches(app).next_allowed(self.clock())
                delay = (opens - self.clock()).total_seconds() if opens is not None else 60.0
                out.requeue_after = max(1.0, delay)
                out.blocked_by_window = windows.reason
                return str(decision.condition or "")
            operation = auto_sync_operation(app, rendered.revision, decision)
            self.cp.patch_app(str(meta.get("namespace")), str(meta.get("name")), {"operation": operation})
            out.started_sync = True
        elif decision.verdict == "wait" and decision.at is not None:
            out.requeue_after = max(0.1, (decision.at - self.clock()).total_seconds())
        return str(decision.condition or "")


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
    return LastSync(
        revision=str(result.get("revision") or sync_op.get("revision") or ""),
        phase=str(state.get("phase") or ""),
        finished_at=_parse_time(state.get("finishedAt")),
        message=str(state.get("message") or ""),
        same_source=same,
        self_heal_attempts=int(sync_op.get("autoHealAttemptsCount") or 0),
    )


def _sources(app: Obj) -> str:
    spec = app.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    return ", ".join(f"{s.get('repoURL')} {s.get('path') or s.get('chart') or ''}".strip() for s in sources)


def _cluster_dict(cluster: ClusterConfig) -> Obj:
    return {
        "server": cluster.server,
        "name": cluster.display_name,
        "namespaces": list(cluster.namespaces or []),
    }
