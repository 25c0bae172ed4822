"""One application's state: project check → destination → render → live → compare → health.

The controller (status and syncs), the API server (``/manifests``,
``/managed-resources``, ``/deletion-preview``) and therefore the CLI with or
without ``--core`` all ask :class:`AppState`, so they see the same comparison:
the same render inputs, the same resource exclusions (global and per app),
the same project restrictions, the same tracking. They differ only in where
live objects come from — the controller's watch cache or a direct read of
the destination (:mod:`argosy.appstate.direct`) — behind :class:`LiveState`.

Anything that stops an honest comparison (unknown project or cluster, an
unreachable cluster, a failed render, an invalid rule) raises
:class:`ComparisonFailed` with the condition type and a message for the user;
nothing is ever judged "missing" or "extraneous" on a comparison that did not
happen, so nothing is pruned on that basis.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from argosy.appstate.compare import Comparison, api_group, compare_app
from argosy.appstate.inputs import ControlPlaneReader, at_revisions, render_request, resolve_destination
from argosy.appstate.recent import RecentRenders
from argosy.appstate.settings import ControllerSettings
from argosy.engine import project as project_rules
from argosy.engine.diff import IgnoreRuleLimitError
from argosy.engine.keys import ResourceKey
from argosy.engine.tracking import instance_name
from argosy.kube.exclusions import AppExclusions, ExclusionsError, ResourceFilter
from argosy.repo import RenderRequest, RenderResult, RepoError
from argosy.repo.errors import UnreachableError
from argosy.settings.clusters import ClusterConfig
from argosy.settings.repositories import RepositorySecretError

Obj = dict[str, Any]


class LiveState(Protocol):
    """What the pipeline needs of one destination cluster's live objects."""

    def connection_error(self) -> str:
        """Empty when the cluster is reachable and its live state loaded, else why not."""
        ...

    def server_version(self) -> str: ...

    def api_versions(self) -> list[str]: ...

    def is_namespaced(self, group: str, kind: str) -> bool | None: ...

    def owned_by(self, instance: str) -> dict[ResourceKey, Obj]:
        """Live objects whose tracking metadata names ``instance``."""
        ...

    def get(self, key: ResourceKey) -> Obj | None: ...

    def predict(self, desired: Obj, live: Obj) -> Obj | None:
        """The server-side-apply dry-run result of ``desired`` (None when unavailable)."""
        ...

    def unowned_in(self, namespace: str) -> list[Obj]:
        """Top-level objects of ``namespace`` that no Application tracks."""
        ...


class Renderer(Protocol):
    def render(self, req: RenderRequest) -> RenderResult: ...


MAX_MESSAGE = 4096


def clip_message(message: str, limit: int = MAX_MESSAGE) -> str:
    """``message`` cut to ``limit`` characters, keeping its start and its end.

    Tool output quoted in an error can be huge (a Helm template recursing to Helm's
    nesting limit prints ~100 KB); it lands in the Application's status and Events.
    """
    if len(message) <= limit:
        return message
    head, tail = limit * 2 // 3, limit // 3
    return f"{message[:head]} [... {len(message) - head - tail} characters left out ...] {message[-tail:]}"


class ComparisonFailed(Exception):
    """The comparison could not be made; becomes a condition of ``type`` on the app.

    ``unavailable``: a cluster or repository could not be reached (retrying may
    help); otherwise the Application or a setting is at fault. The message is
    clipped to :data:`MAX_MESSAGE` characters.
    """

    def __init__(
        self, type_: str, message: str, requeue_after: float | None = None, *, unavailable: bool = False
    ) -> None:
        message = clip_message(message)
        super().__init__(message)
        self.type = type_
        self.message = message
        self.requeue_after = requeue_after
        self.unavailable = unavailable


@dataclass
class Snapshot:
    """Everything one comparison produced, for the status writer, the sync runner and the API."""

    cluster: ClusterConfig
    live: LiveState
    rendered: RenderResult
    comparison: Comparison
    conditions: list[dict[str, str]]
    project: Obj


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


def _cond(type_: str, message: str) -> dict[str, str]:
    return {"type": type_, "message": message}


def describe_sources(app: Obj) -> str:
    spec = app.get("spec") or {}
    sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
    return ", ".join(f"{s.get('repoURL')} {s.get('path') or s.get('chart') or ''}".strip() for s in sources)


def _cluster_dict(cluster: ClusterConfig) -> Obj:
    return {
        "server": cluster.server,
        "name": cluster.display_name,
        "namespaces": list(cluster.namespaces or []),
    }


class AppState:
    """Computes an application's state; stateless apart from its collaborators (thread-safe)."""

    def __init__(
        self,
        reader: ControlPlaneReader,
        renderer: Renderer,
        in_cluster: ClusterConfig,
        live_for: Callable[[ClusterConfig], LiveState],
        recent: RecentRenders | None = None,
    ) -> None:
        self.reader = reader
        self.renderer = renderer
        self.in_cluster = in_cluster
        self.live_for = live_for
        self.recent = recent or RecentRenders()

    # ------------------------------------------------------------- pieces
    def destination(self, app: Obj) -> ClusterConfig:
        try:
            return resolve_destination(
                self.reader, (app.get("spec") or {}).get("destination") or {}, self.in_cluster
            )
        except LookupError as exc:
            raise ComparisonFailed("InvalidSpecError", f"spec.destination: {exc}") from exc

    def project(self, app: Obj) -> Obj:
        name = str((app.get("spec") or {}).get("project") or "")
        project = self.reader.project(name) if name else None
        if project is None:
            raise ComparisonFailed(
                "InvalidSpecError",
                f"Application referencing project {name or '(empty)'} which does not exist",
            )
        return dict(project)

    def live(self, cluster: ClusterConfig) -> LiveState:
        live = self.live_for(cluster)
        down = live.connection_error()
        if down:
            # Unknown, never "everything is missing": nothing may be pruned on this basis.
            raise ComparisonFailed(
                "ComparisonError", f"cluster {cluster.describe()}: {down}", 10.0, unavailable=True
            )
        return live

    def render(
        self,
        app: Obj,
        live: LiveState,
        *,
        no_cache: bool = False,
        revision_max_age: float = 0.0,
        revision: str = "",
        source_revisions: Mapping[int, str] | None = None,
    ) -> RenderResult:
        """The app's manifests (at ``revision``/``source_revisions`` when given)."""
        try:
            target = at_revisions(app, revision, source_revisions)
            request = render_request(
                self.reader,
                target,
                kube_version=live.server_version(),
                api_versions=live.api_versions(),
                no_cache=no_cache,
                revision_max_age=revision_max_age,
            )
            return self.renderer.render(request)
        except UnreachableError as exc:
            raise ComparisonFailed(
                "ComparisonError", f"rendering {describe_sources(app)} failed: {exc}", 30.0, unavailable=True
            ) from exc
        except (RepoError, RepositorySecretError, ValueError) as exc:
            raise ComparisonFailed(
                "ComparisonError", f"rendering {describe_sources(app)} failed: {exc}", 30.0
            ) from exc

    # ------------------------------------------------------------- the whole
    def prepare(
        self,
        app: Obj,
        settings: ControllerSettings,
        no_cache: bool = False,
        revision_max_age: float = 0.0,
        reuse_render_within: float = 0.0,
    ) -> Snapshot:
        """Check the app against its project, render it and compare it with live state.

        ``revision_max_age``: how old a cached resolution of the app's branch or tag may be
        (0: ask Git now, as a refresh, a sync or a user's request must).
        ``reuse_render_within``: reuse this app's last render if younger (only live objects
        changed; see :mod:`argosy.appstate.recent`).
        """
        meta = app.get("metadata") or {}
        spec = app.get("spec") or {}
        name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or "")
        if settings.problems:
            raise ComparisonFailed("InvalidSpecError", "; ".join(settings.problems))
        project = self.project(app)
        cluster = self.destination(app)
        violations = project_rules.check_application(
            project, app, control_plane_namespace=settings.namespace, clusters=[_cluster_dict(cluster)]
        )
        if violations:
            raise ComparisonFailed("InvalidSpecError", "; ".join(v.message for v in violations))
        live = self.live(cluster)
        key = f"{namespace}/{name}"
        reused = self.recent.get(key, app, reuse_render_within)
        if reused is not None:
            rendered = reused
        else:
            try:
                rendered = self.render(app, live, no_cache=no_cache, revision_max_age=revision_max_age)
            except ComparisonFailed:
                self.recent.forget(key)
                raise
            self.recent.put(key, app, rendered)
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
            obj_name = str(obj_meta.get("name"))
            if exclusions.excludes(group, kind, str(obj_meta.get("namespace") or dest_ns), obj_name):
                message = (
                    f"Resource {group}/{kind} {obj_name} is excluded by the application's "
                    "argosy.io/resource-exclusions annotation"
                )
                conditions.append(_cond("ExcludedResourceWarning", message))
            elif resource_filter.is_excluded(group, kind, cluster.server, cluster.display_name):
                message = f"Resource {group}/{kind} {obj_name} is excluded in the settings"
                conditions.append(_cond("ExcludedResourceWarning", message))
            else:
                desired.append(obj)
        try:
            config = settings.diff_config(app)
        except ValueError as exc:
            raise ComparisonFailed("InvalidSpecError", str(exc)) from exc
        instance = instance_name(name, namespace, settings.namespace)
        owned = {k: v for k, v in live.owned_by(instance).items() if not exclusions.excludes_object(v)}
        try:
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
        except IgnoreRuleLimitError as exc:
            # Comparing without the rule would show the ignored fields as drift (and let
            # auto-sync "fix" them); no comparison at all keeps the app Unknown instead.
            raise ComparisonFailed("ComparisonError", str(exc), 60.0) from exc
        denied = project_rules.check_resources(
            project,
            [(r.desired, bool(r.key.namespace)) for r in comparison.resources if r.desired is not None],
            destination={"server": cluster.server, "name": cluster.display_name, "namespace": dest_ns},
        )
        if denied:
            raise ComparisonFailed("InvalidSpecError", "; ".join(v.message for v in denied))
        orphans = orphaned_resources(project, live, cluster, dest_ns)
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
        decides per object (:func:`argosy.engine.tracking.may_delete`). No render is
        needed, so an app whose repository is gone can still be deleted. Objects
        created by controllers from ours (ownerReferences) are left to Kubernetes'
        garbage collector; objects the app excludes are not managed.
        """
        meta = app.get("metadata") or {}
        cluster = self.destination(app)
        live = self.live(cluster)
        try:
            exclusions = AppExclusions.from_application(app)
        except ExclusionsError as exc:
            raise ComparisonFailed("InvalidSpecError", str(exc)) from exc
        instance = instance_name(
            str(meta.get("name") or ""), str(meta.get("namespace") or ""), settings.namespace
        )
        found = dict(live.owned_by(instance))
        for key in recorded_keys(app):
            obj = found.get(key) or live.get(key)
            if obj is not None:
                found[key] = obj
        objs = [
            obj
            for obj in found.values()
            if not (obj.get("metadata") or {}).get("ownerReferences") and not exclusions.excludes_object(obj)
        ]
        return cluster, objs


def recorded_keys(app: Obj) -> list[ResourceKey]:
    """The key of every resource the controller last recorded in the app's ``status.resources``."""
    out = []
    for r in (app.get("status") or {}).get("resources") or []:
        if isinstance(r, dict) and r.get("kind") and r.get("name"):
            out.append(
                ResourceKey(
                    str(r.get("group") or ""), str(r["kind"]), str(r.get("namespace") or ""), str(r["name"])
                )
            )
    return out
