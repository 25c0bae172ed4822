"""Run an Application's requested operation: sync (incl. rollback) and resource deletion.

The operation worker calls :meth:`OperationExecutor.run` for an app whose
``operation`` field is set or whose ``operationState`` is still Running (a
restarted controller resumes it). The app is rendered at the operation's
revision (and source, for a rollback) and compared exactly as the status loop
does, then handed to the :class:`~argosy.controller.operation.OperationRunner`.
A sync whose comparison fails ends in phase Error with the reason; nothing is
applied or pruned on a failed render.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from argosy.appstate.pipeline import ComparisonFailed
from argosy.appstate.settings import ControllerSettings
from argosy.controller.operation import (
    OperationRunner,
    RunnerConfig,
    delete_app_resources,
    resume_revision,
)
from argosy.controller.operation.events import initiator
from argosy.controller.operation.kubeport import KubeAppPort, KubeClusterPort
from argosy.controller.operation.state import operation_under_way
from argosy.controller.reconciler import Reconciler, window_decision
from argosy.engine.sync import DesiredObject
from argosy.engine.sync.options import app_options
from argosy.kube.apply import ClusterOps
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError
from argosy.kube.livecache import ClusterCache
from argosy.logs import fields
from argosy.model.constants import (
    POST_DELETE_FINALIZER,
    RESOURCES_FINALIZER,
    RESOURCES_FINALIZER_BACKGROUND,
)
from argosy.model.status import SyncStatusCode

log = logging.getLogger(__name__)
Obj = dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _automated(operation: Obj) -> bool:
    return bool((operation.get("initiatedBy") or {}).get("automated"))


def _phase(app: Obj) -> str:
    return str(((app.get("status") or {}).get("operationState") or {}).get("phase") or "")


def _already_running(app: Obj) -> bool:
    return _phase(app) in ("Running", "Terminating")


class OperationPaused(Exception):
    """A running operation cannot go on now (its cluster or repository is unreachable); it
    stays Running and the controller tries again shortly."""

    def __init__(self, app: str, reason: str) -> None:
        super().__init__(f"the sync of application {app} waits: {reason}")
        self.app = app


def requested_operation(app: Obj) -> Obj | None:
    """The operation to run: the ``operation`` field, or the one a Running state recorded."""
    op = app.get("operation") or ((app.get("status") or {}).get("operationState") or {}).get("operation")
    return op if isinstance(op, dict) and op else None


def app_at_operation(app: Obj, revision: str) -> Obj:
    """The app as the operation wants it rendered: its revision, and a rollback's source."""
    out = copy.deepcopy(app)
    spec = out.setdefault("spec", {})
    sync = (requested_operation(out) or {}).get("sync") or {}
    if sync.get("sources"):
        spec["sources"] = copy.deepcopy(sync["sources"])
        spec.pop("source", None)
    elif sync.get("source"):
        spec["source"] = copy.deepcopy(sync["source"])
    revisions = sync.get("revisions") or []
    if spec.get("sources"):
        for i, src in enumerate(spec["sources"]):
            if i < len(revisions) and revisions[i]:
                src["targetRevision"] = revisions[i]
    elif revision and spec.get("source"):
        spec["source"]["targetRevision"] = revision
    return out


class OperationExecutor:
    """Runs operations with the reconciler's comparison and the cluster's live cache."""

    def __init__(
        self,
        control_plane: KubeClient,
        reconciler: Reconciler,
        settings: Any,
        cache_for: Any,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        events: KubeClient | None = None,
    ) -> None:
        self.clock = clock
        self.client = control_plane
        self.events = events or control_plane  # Events have their own rate limit, as in Argo CD
        self.reconciler = reconciler
        self.settings = settings
        self.cache_for = cache_for
        #: Told each operation's resulting state (metrics count completed syncs).
        self.on_state: Callable[[Obj, Obj], None] = lambda app, state: None
        #: Called with the app key before every write (sharding raises NotOwner when it moved).
        self.guard: Callable[[str], None] = lambda key: None
        #: The Application as the controller's watch last saw it (None: not known, ask the API).
        self.watched: Callable[[str], Obj | None] = lambda key: None
        #: Told (cluster cache, desired, server's answer) after each write of a sync: the
        #: reconciler's dry-run predictions learn from it.
        self.learn: Callable[[ClusterCache, Obj, Obj], None] | None = None

    def _ports(
        self, app: Obj, cache: ClusterCache, settings: ControllerSettings
    ) -> tuple[KubeClusterPort, KubeAppPort, RunnerConfig]:
        meta = app.get("metadata") or {}
        key = f"{meta.get('namespace')}/{meta.get('name')}"
        learn = self.learn
        # Each operation has a rate limit of its own, as each of Argo CD's syncs has new clients.
        client = cache.client.with_own_limit()
        cluster_port = KubeClusterPort(
            client,
            ops=ClusterOps(client, lambda: cache.resources),
            guard=lambda: self.guard(key),
            learn=None if learn is None else lambda desired, applied: learn(cache, desired, applied),
        )
        app_port = self._app_port(app)
        config = RunnerConfig(
            overrides=settings.overrides,
            tracking=settings.tracking,
            control_plane_namespace=settings.namespace,
        )
        return cluster_port, app_port, config

    def _app_port(self, app: Obj) -> KubeAppPort:
        meta = app.get("metadata") or {}
        namespace, name = str(meta.get("namespace")), str(meta.get("name"))
        key = f"{namespace}/{name}"
        return KubeAppPort(
            self.client,
            namespace,
            name,
            guard=lambda: self.guard(key),
            watched=lambda: self.watched(key),
            events=self.events,
        )

    def _end(self, app: Obj, app_port: KubeAppPort, operation: Obj, phase: str, message: str) -> None:
        """Finish an operation that never started applying (and clear the request)."""
        meta = app.get("metadata") or {}
        log.info(
            f"operation {phase.lower()} before it started: {message}",
            extra=fields(
                application=f"{meta.get('namespace')}/{meta.get('name')}",
                initiator=initiator(operation),
                phase=phase,
            ),
        )
        state = {
            "operation": operation,
            "phase": phase,
            "message": message,
            "startedAt": _now(),
            "finishedAt": _now(),
        }
        app_port.patch_status({"operationState": state}, clear_operation=True)
        self.on_state(app, state)
        app_port.emit_event("OperationCompleted", f"Sync operation failed: {message}", "Warning")

    def _fresh(self, app: Obj, app_port: KubeAppPort) -> Obj | None:
        """The Application as the API server has it now, when it still has an operation to run.

        The watch copy the worker was handed can lag the controller's own writes: right
        after an operation completed it may still say ``Running``. Resuming from it ran
        the finished operation again from an older record (hooks it recorded as not yet
        created were deleted and created anew) and its final write cleared an operation
        requested meanwhile. Argo CD reads the app fresh before an operation for the
        same reason.
        """
        try:
            fresh = app_port.read()
        except KubeApiError as exc:
            if exc.not_found:
                return None
            raise
        if not (fresh.get("operation") or _already_running(fresh)):
            meta = app.get("metadata") or {}
            log.info(
                "operation already finished; nothing to run",
                extra=fields(application=f"{meta.get('namespace')}/{meta.get('name')}"),
            )
            return None
        return fresh

    def run(self, app: Obj) -> None:
        settings: ControllerSettings = self.settings()
        app_port = self._app_port(app)
        fresh = self._fresh(app, app_port)
        if fresh is None:
            return
        app = fresh
        meta = app.get("metadata") or {}
        operation = requested_operation(app)
        if operation is None:
            return
        sync = operation.get("sync") or {}
        revision = resume_revision(app) or str(sync.get("revision") or "")
        target = app_at_operation(app, revision)
        try:
            snap = self.reconciler.state.prepare(target, settings)
        except ComparisonFailed as failed:
            if failed.unavailable and _phase(app) == "Running":
                # A sync already under way outlives a blip of its cluster or repository (an API
                # server restart, a partition): it resumes from its recorded state, as after a
                # controller restart, instead of ending in Error with its hooks half run.
                raise OperationPaused(f"{meta.get('namespace')}/{meta.get('name')}", failed.message) from None
            self._end(app, app_port, operation, "Error", f"{failed.type}: {failed.message}")
            return
        if not operation_under_way(app):
            # A sync already under way when a window closes may finish; a new one may not start.
            manual = not _automated(operation)
            verdict = window_decision(snap.project, app, self.clock(), manual=manual)
            if verdict is not None and not verdict.allowed:
                if manual:
                    message = f"Cannot sync: blocked by sync window: {verdict.reason}"
                    self._end(app, app_port, operation, "Failed", message)
                # An automated sync stays requested and starts when the window opens.
                return
            spec_options = ((target.get("spec") or {}).get("syncPolicy") or {}).get("syncOptions")
            options, _problems = app_options(spec_options, sync.get("syncOptions"))
            shared = [
                c["message"] for c in snap.comparison.conditions if c["type"] == "SharedResourceWarning"
            ]
            if options.flag("FailOnSharedResource") and shared:
                self._end(app, app_port, operation, "Failed", f"Shared resource found: {shared[0]}")
                return
        cache = self.cache_for(snap.cluster)
        cluster_port, app_port, config = self._ports(app, cache, settings)
        desired = [
            DesiredObject(r.desired, r.live, SyncStatusCode(r.status))
            for r in snap.comparison.resources
            if r.desired is not None
        ]
        spec = target.get("spec") or {}
        source = spec.get("source") or (spec.get("sources") or [None])[0]
        runner = OperationRunner(cluster_port, app_port, config)
        name = f"{meta.get('namespace')}/{meta.get('name')}"
        revision = snap.rendered.revision
        log.info(
            "operation resumed" if operation_under_way(app) else "operation started",
            extra=fields(application=name, revision=revision, initiator=initiator(operation)),
        )
        started = time.monotonic()
        state = runner.run(app, desired, snap.comparison.prunable(), revision, source)
        log.info(
            f"operation {str(state.get('phase') or '').lower()}: {state.get('message') or ''}",
            extra=fields(
                application=name,
                revision=revision,
                initiator=initiator(operation),
                phase=state.get("phase"),
                duration_ms=round((time.monotonic() - started) * 1000),
            ),
        )
        self.on_state(app, state)

    def delete(self, app: Obj) -> bool:
        """Delete an app's resources as its finalizer says; True when the finalizers may go.

        Deleted are the live objects whose tracking names the app (and only those:
        :mod:`argosy.controller.operation.ownership`), found without rendering, so an
        app whose source is broken can be deleted. The render is needed only for
        PostDelete hooks: when it fails the resources are still deleted, and the
        hooks wait (and the app keeps its finalizer) only if it carries
        ``post-delete-finalizer.argocd.argoproj.io``.
        """
        settings: ControllerSettings = self.settings()
        meta = app.get("metadata") or {}
        name = f"{meta.get('namespace')}/{meta.get('name')}"
        finalizers = meta.get("finalizers") or []
        if not any(f in (RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND) for f in finalizers):
            return True
        try:
            cluster, candidates = self.reconciler.state.deletion_candidates(app, settings)
        except ComparisonFailed as failed:
            log.warning("cannot delete the resources of application %s yet: %s", name, failed)
            return False
        cache = self.cache_for(cluster)
        cluster_port, app_port, config = self._ports(app, cache, settings)
        hooks: list[Obj] = []
        revision = ""
        try:
            snap = self.reconciler.state.prepare(app, settings)
            hooks = [r.desired for r in snap.comparison.resources if r.hook and r.desired is not None]
            revision = snap.rendered.revision
        except ComparisonFailed as failed:
            if POST_DELETE_FINALIZER in finalizers:
                log.warning("application %s: PostDelete hooks cannot be rendered yet: %s", name, failed)
                return False
            app_port.emit_event(
                "PostDeleteHooksSkipped",
                f"PostDelete hooks (if any) were not run: the manifests cannot be rendered: {failed.message}",
                "Warning",
            )
        result = delete_app_resources(
            app, candidates, cluster_port, app_port, post_delete_hooks=hooks, revision=revision, config=config
        )
        log.info(
            "application %s: cascade deletion %s: %s%s",
            name,
            "done" if result.succeeded else "not finished",
            result.message,
            f"; kept: {', '.join(result.kept)}" if result.kept else "",
        )
        return bool(result.succeeded)
