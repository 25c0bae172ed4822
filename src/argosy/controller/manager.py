"""The running controller: watches, caches, queues and workers wired together.

* Applications, ``argocd-cm``, AppProjects and Secrets (clusters, repositories)
  of the control-plane namespace are watched; settings changes take effect at
  once (every app is re-queued), no restart needed.
* One :class:`~argosy.kube.livecache.ClusterCache` per destination cluster,
  started on first use; a change to a live object re-queues the app owning it,
  so drift shows in status within a second, not at the next periodic refresh.
* Status workers reconcile apps (render, compare, write status, decide
  automated sync); operation workers run sync operations. The two pools are
  separate so a long sync never delays drift detection of other apps.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from argosy.appstate.inputs import resolve_destination
from argosy.appstate.pipeline import AppState
from argosy.appstate.settings import ControllerSettings
from argosy.controller.apps import AppWatch, ObjectStore, app_key
from argosy.controller.livestate import CacheLiveState, Predictions
from argosy.controller.metrics import ControllerMetrics
from argosy.controller.operation.executor import OperationExecutor, OperationPaused
from argosy.controller.queue import WorkQueue
from argosy.controller.reconciler import Outcome, Reconciler
from argosy.controller.sharding import ClusterSharding, LeaseStore, NotOwner, ShardCoordinator
from argosy.engine.keys import ResourceKey
from argosy.engine.sharding import bucket_of
from argosy.engine.tracking import owner_of
from argosy.kube.apply import ClusterOps
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError, server_unavailable
from argosy.kube.events import record_event
from argosy.kube.exclusions import ResourceFilter
from argosy.kube.livecache import ClusterCache, ConnectionStatus
from argosy.kube.watcher import KindWatcher
from argosy.kube.wellknown import APPPROJECTS, CONFIGMAPS, SECRETS
from argosy.logs import fields
from argosy.model.constants import (
    POST_DELETE_FINALIZER,
    RESOURCES_FINALIZER,
    RESOURCES_FINALIZER_BACKGROUND,
)
from argosy.settings.clusters import ClusterConfig, in_cluster_config
from argosy.settings.repositories import SECRET_TYPE_LABEL

log = logging.getLogger(__name__)
Obj = dict[str, Any]
# Argo CD's defaults (controller.status.processors / controller.operation.processors). Workers
# mostly wait on the API server and the repo server, so threads are cheap here.
DEFAULT_STATUS_PROCESSORS = 20
DEFAULT_OPERATION_PROCESSORS = 10
LIVE_CHANGE_COALESCE_S = 0.5
"""How long a live change waits for the changes that follow it before its app is compared.

A sync creates an app's objects in a burst, then the Deployment's status moves a few
times: compared at once, a 10-object app was compared ~11 times while converging (half of
a syncing fleet's controller CPU, profiled at 300 apps). Waiting half a second folds each
burst into one comparison, well inside the 2 s in which drift must show."""
OPERATION_QUIET_S = 5.0
"""How long after its operation began the live changes of an app wait to be compared, while
this controller runs the operation.

The sync's own writes are those changes, and the reconcile queued when the operation ends
compares them all: compared mid-sync, half the apps of a syncing 1,000-app fleet got one more
status write (a partly created app, still OutOfSync). A longer operation (hooks, waves) is
compared as usual once this has passed, so its resources' health still shows while it runs."""
PAUSED_RETRY_SECONDS = 5.0
"""How soon an operation paused by an unreachable API server is tried again (a reconnect
re-queues every app at once anyway)."""


class ControlPlaneClient:
    """The ``ControlPlane`` port of the reconciler over the control-plane cluster."""

    def __init__(
        self,
        client: KubeClient,
        namespace: str,
        projects: ObjectStore,
        secrets: ObjectStore,
        configmaps: ObjectStore,
        events: KubeClient | None = None,
    ) -> None:
        self.client = client
        self.events = events or client
        self.namespace = namespace
        self._projects = projects
        self._secrets = secrets
        self._configmaps = configmaps
        # Called with the app key before every write: a sharded replica raises NotOwner
        # for an app it no longer owns, so two replicas never write one app's status.
        self.guard: Callable[[str], None] = lambda key: None

    def patch_app(self, namespace: str, name: str, patch: Obj) -> Obj | None:
        self.guard(f"{namespace}/{name}")
        path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications/{name}"
        result: Obj | None = self.client.request(
            "PATCH", path, body=patch, content_type="application/merge-patch+json", kind="Application"
        )
        return result

    def remove_finalizers(self, namespace: str, name: str, ours: tuple[str, ...]) -> None:
        """Drop Argosy's finalizers from a fresh copy, guarded by its resourceVersion.

        Kubernetes forbids adding finalizers to an object being deleted, and the
        garbage collector edits the list too (``foregroundDeletion``): writing back
        a stale list could re-add one it had removed. A conflict means read again.
        """
        self.guard(f"{namespace}/{name}")
        path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications/{name}"
        for _ in range(5):
            try:
                current = self.client.request("GET", path, kind="Application")
            except KubeApiError as exc:
                if exc.not_found:
                    return
                raise
            meta = current.get("metadata") or {}
            keep = [f for f in meta.get("finalizers") or [] if f not in ours]
            if keep == list(meta.get("finalizers") or []):
                return
            patch = {"metadata": {"finalizers": keep, "resourceVersion": meta.get("resourceVersion")}}
            try:
                self.client.request(
                    "PATCH", path, body=patch, content_type="application/merge-patch+json", kind="Application"
                )
                return
            except KubeApiError as exc:
                if not exc.conflict:
                    raise

    # -- ControlPlaneReader, from the watch caches: no API call per reconcile -----------
    def project(self, name: str) -> Obj | None:
        return self._projects.get(f"{self.namespace}/{name}")

    def secrets(self, secret_type: str) -> list[Obj]:
        return [
            s
            for s in self._secrets.items()
            if ((s.get("metadata") or {}).get("labels") or {}).get(SECRET_TYPE_LABEL) == secret_type
        ]

    def configmap_data(self, name: str) -> dict[str, str]:
        cm = self._configmaps.get(f"{self.namespace}/{name}") or {}
        return {str(k): str(v) for k, v in (cm.get("data") or {}).items()}

    def secret(self, name: str) -> Obj | None:
        """A Secret of the control-plane namespace (SOPS key Secrets), from the watch."""
        return self._secrets.get(f"{self.namespace}/{name}")

    def emit_event(self, app: Obj, reason: str, message: str, type_: str = "Normal") -> None:
        meta = app.get("metadata") or {}
        self.guard(f"{meta.get('namespace')}/{meta.get('name')}")
        record_event(self.events, app, reason, message, type_, "argosy-application-controller")


def _reconcile_log(key: str, outcome: Outcome, seconds: float) -> None:
    comparison = outcome.comparison
    log.info(
        "reconciled" if not outcome.error else f"reconcile failed: {outcome.error}",
        extra=fields(
            application=key,
            duration_ms=round(seconds * 1000),
            sync=comparison.sync_status if comparison else "Unknown",
            health=str(comparison.health) if comparison else "Unknown",
            revision=outcome.revision,
        ),
    )


class Controller:
    """``start()`` it, ``stop()`` it; everything else runs in its threads."""

    def __init__(
        self,
        client: KubeClient,
        renderer: Any,
        *,
        namespace: str = "argocd",
        status_workers: int = DEFAULT_STATUS_PROCESSORS,
        operation_workers: int = DEFAULT_OPERATION_PROCESSORS,
        in_cluster: ClusterConfig | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        replica: str | None = None,
        cluster_sharding: ClusterSharding | None = None,
    ) -> None:
        """``replica``: shard apps with the other replicas (``--shards auto``), as this id;
        ``cluster_sharding``: Argo CD's per-cluster sharding instead."""
        self.client = client
        self.namespace = namespace
        self.renderer = renderer
        self.queue = WorkQueue()
        self.op_queue = WorkQueue()
        self._settings = ControllerSettings(namespace=namespace)
        self._settings_lock = threading.Lock()
        self._in_cluster = in_cluster or in_cluster_config()
        self._caches: dict[str, ClusterCache] = {}
        self._predictions: dict[str, Predictions] = {}
        self._caches_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        # Keys queued for a reason other than a live change (app, settings, periodic refresh).
        self._explicit: set[str] = set()
        self._explicit_lock = threading.Lock()

        self.configmaps = ObjectStore(self._configmap_changed)
        self.projects = ObjectStore(lambda old, new: self._requeue_all())
        self.secrets = ObjectStore(self._secret_changed)
        # Applications of every namespace are watched; only those of managed namespaces are
        # reconciled, so changing application.namespaces needs no restart.
        self.apps = AppWatch(client, [""], self._enqueue_app, self._enqueue_operation)
        # Events have a rate limit of their own, as Argo CD's event recorder has its own client.
        events = client.with_own_limit()
        self.cp = ControlPlaneClient(
            client, namespace, self.projects, self.secrets, self.configmaps, events=events
        )
        self._watchers = [
            KindWatcher(client, CONFIGMAPS, self.configmaps, namespace=namespace),
            KindWatcher(client, APPPROJECTS, self.projects, namespace=namespace),
            KindWatcher(client, SECRETS, self.secrets, namespace=namespace),
        ]
        self.state = AppState(self.cp, renderer, self._in_cluster, self.live_for)
        self.reconciler = Reconciler(self.cp, self.state, self.settings, clock)
        self.executor = OperationExecutor(
            client, self.reconciler, self.settings, self.cache_for, clock, events=events
        )
        self.metrics = ControllerMetrics(self.managed_apps, self.cluster_statuses)
        self.executor.on_state = self.metrics.operation_state
        self.executor.watched = self.apps.store.get
        self.executor.learn = self._learn_write
        self._status_workers = status_workers
        self._operation_workers = operation_workers
        self._working: dict[str, int] = {}  # app keys a worker is on (sharding waits for them)
        self._operating: dict[str, float] = {}  # app keys whose sync runs now -> when it began
        self._working_lock = threading.Lock()
        self.cluster_sharding = cluster_sharding
        self.sharding: ShardCoordinator | None = None
        if replica:
            self.sharding = ShardCoordinator(
                LeaseStore(client, namespace),
                replica,
                lambda: [app_key(a) for a in self.managed_apps()],
                busy=self._busy,
                on_gain=self._gained,
            )
            self.cp.guard = self.sharding.check
            self.executor.guard = self.sharding.check

    # ------------------------------------------------------------- settings
    def settings(self) -> ControllerSettings:
        with self._settings_lock:
            return self._settings

    def managed_apps(self) -> list[Obj]:
        """The Applications this installation reconciles: those of its managed namespaces.

        Every namespace is watched (see ``self.apps``), so another installation's apps in the same
        cluster are in the store too; counting them would skew metrics and the replicas' balance.
        """
        settings = self.settings()
        return [a for a in self.apps.store.items() if settings.manages_namespace(app_key(a).split("/", 1)[0])]

    # ------------------------------------------------------------- sharding
    def _mine(self, key: str, app: Obj) -> bool:
        """Whether this replica reconciles ``key`` (always, without sharding)."""
        if self.sharding is not None:
            return self.sharding.owns(key)
        if self.cluster_sharding is not None:
            try:
                server = self.resolve_cluster((app.get("spec") or {}).get("destination") or {}).server
            except LookupError:
                return self.cluster_sharding.shard == 0  # unknown destinations: reported by shard 0
            return self.cluster_sharding.owns_server(server)
        return True

    def _busy(self, buckets: frozenset[int]) -> bool:
        with self._working_lock:
            return any(bucket_of(k) in buckets for k in self._working)

    def _gained(self, buckets: frozenset[int]) -> None:
        for app in self.apps.store.items():
            key = app_key(app)
            if bucket_of(key) in buckets:
                self._enqueue_app(key)

    @contextlib.contextmanager
    def _working_on(self, key: str) -> Iterator[None]:
        with self._working_lock:
            self._working[key] = self._working.get(key, 0) + 1
        try:
            yield
        finally:
            with self._working_lock:
                self._working[key] -= 1
                if not self._working[key]:
                    del self._working[key]

    def _enqueue_app(self, key: str) -> None:
        """Reconcile ``key`` with a fresh render: the app, a setting or a Secret changed."""
        if self.settings().manages_namespace(key.split("/", 1)[0]):
            with self._explicit_lock:
                self._explicit.add(key)
            self.queue.add(key)

    def _enqueue_operation(self, key: str) -> None:
        """Hand ``key`` to the operation workers: only its ``operation`` (or a terminate request)
        changed, so the comparison's inputs are the same and there is nothing to compare.

        This was a reconcile that handed it over: for the auto-sync's own write it raced the
        sync it had just requested, and a comparison made while the sync created the objects
        was written after the sync's end (a stale OutOfSync status, one more write). The end
        of an operation is compared anyway: the operation worker queues it."""
        if self.settings().manages_namespace(key.split("/", 1)[0]):
            self.op_queue.add(key)

    def _enqueue_live(self, key: str) -> None:
        """Reconcile ``key`` because one of its live objects changed (its last render is reused),
        once the burst of changes it belongs to has passed (:data:`LIVE_CHANGE_COALESCE_S`)."""
        if self.settings().manages_namespace(key.split("/", 1)[0]):
            self.queue.add_after(key, LIVE_CHANGE_COALESCE_S)

    def _live_change_only(self, key: str) -> bool:
        """Whether every reason ``key`` was queued for since its last reconcile was a live change."""
        with self._explicit_lock:
            if key in self._explicit:
                self._explicit.discard(key)
                return False
            return True

    def _configmap_changed(self, old: Obj | None, new: Obj | None) -> None:
        name = str(((new or old or {}).get("metadata") or {}).get("name") or "")
        if name not in ("argocd-cm", "argocd-cmd-params-cm"):
            return
        cm = (self.configmaps.get(f"{self.namespace}/argocd-cm") or {}).get("data") or {}
        params = (self.configmaps.get(f"{self.namespace}/argocd-cmd-params-cm") or {}).get("data") or {}
        settings = ControllerSettings.from_configmap_data(cm, self.namespace, params)
        with self._settings_lock:
            self._settings = settings
        before, after = (old or {}).get("data") or {}, (new or {}).get("data") or {}
        keys = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
        log.info(
            f"settings reloaded: {name} changed ({', '.join(keys) or 'no keys'})",
            extra=fields(configmap=name, keys=",".join(keys), problems="; ".join(settings.problems)),
        )
        with self._caches_lock:
            caches = list(self._caches.values())
        for cache in caches:
            cache.set_filter(ResourceFilter.from_argocd_cm(settings.data))
            cache.set_owner_of(self._owner_of(settings))
        self._requeue_all()

    def _secret_changed(self, old: Obj | None, new: Obj | None) -> None:
        labels = ((new or old or {}).get("metadata") or {}).get("labels") or {}
        if labels.get(SECRET_TYPE_LABEL) in ("cluster", "repository", "repo-creds"):
            self._requeue_all()

    def _requeue_all(self) -> None:
        for app in self.apps.store.items():
            self._enqueue_app(app_key(app))

    # ------------------------------------------------------------- clusters
    def resolve_cluster(self, destination: Obj) -> ClusterConfig:
        return resolve_destination(self.cp, destination, self._in_cluster)

    @staticmethod
    def _owner_of(settings: ControllerSettings) -> Callable[[Obj], str | None]:
        tracking = settings.tracking

        def owner(obj: Obj) -> str | None:
            return owner_of(obj, tracking)

        return owner

    def cache_for(self, cluster: ClusterConfig) -> ClusterCache:
        with self._caches_lock:
            cache = self._caches.get(cluster.server)
            if cache is None or cache.cluster != cluster:
                cache = self._start_cache(cluster, cache)
        # Every caller waits, not only the one that started it: a sync must not see an empty cache.
        # A cluster that cannot be reached ends the wait at once (its apps turn Unknown) instead
        # of holding a worker for the whole timeout on every reconcile.
        deadline = time.monotonic() + 30.0
        while not cache.wait_synced(0.2) and time.monotonic() < deadline:
            if cache.status().status == ConnectionStatus.FAILED:
                break
        return cache

    def _start_cache(self, cluster: ClusterConfig, old: ClusterCache | None) -> ClusterCache:
        """Start the live cache of ``cluster`` in place of ``old`` (called under ``_caches_lock``)."""
        if old is not None:  # credentials or settings of the cluster Secret changed
            old.stop(timeout=1.0)
        settings = self.settings()
        cache = ClusterCache(
            cluster,
            resource_filter=ResourceFilter.from_argocd_cm(settings.data),
            owner_of=self._owner_of(settings),
            request_hook=self.metrics.k8s_request,
        )
        cache.subscribe(self._live_changed)
        cache.start()
        self._caches[cluster.server] = cache
        return cache

    def live_for(self, cluster: ClusterConfig) -> CacheLiveState:
        cache = self.cache_for(cluster)
        return CacheLiveState(cache, self._predictions_for(cache))

    def _predictions_for(self, cache: ClusterCache) -> Predictions:
        with self._caches_lock:
            predictions = self._predictions.get(cache.cluster.server)
            if predictions is None or predictions.ops.client is not cache.client:
                predictions = Predictions(ClusterOps(cache.client, lambda: cache.resources))
                self._predictions[cache.cluster.server] = predictions
            return predictions

    def _learn_write(self, cache: ClusterCache, desired: Obj, applied: Obj) -> None:
        """A sync wrote ``desired`` and the server answered ``applied`` (see Predictions.learn)."""
        self._predictions_for(cache).learn(desired, applied)

    def _live_changed(self, server: str, key: ResourceKey, old: Obj | None, new: Obj | None) -> None:
        tracking = self.settings().tracking
        for obj in (new, old):
            if obj is None:
                continue
            owner = owner_of(obj, tracking)
            if owner:
                ns, _, name = owner.rpartition("_")
                self._enqueue_live(f"{ns or self.namespace}/{name}")

    def server_side_dry_runs(self) -> int:
        """Dry-run calls made for server-side diffs so far (cache misses), for metrics and tests."""
        with self._caches_lock:
            return sum(p.calls for p in self._predictions.values())

    def cluster_statuses(self) -> list[Any]:
        with self._caches_lock:
            return [c.status() for c in self._caches.values()]

    # -------------------------------------------------------------- workers
    def _status_worker(self) -> None:
        while not self._stop.is_set():
            key = self.queue.get(timeout=1.0)
            if key is None:
                continue
            try:
                live_only = self._live_change_only(key)
                quiet = self._operation_quiet_left(key) if live_only else 0.0
                if quiet > 0:
                    self.queue.add_after(key, quiet)  # see OPERATION_QUIET_S
                    continue
                app = self.apps.store.get(key)
                if app is None or not self.settings().manages_namespace(key.split("/", 1)[0]):
                    self.state.recent.forget(key)
                    continue
                if not self._mine(key, app):
                    self.state.recent.forget(key)
                    continue
                if (app.get("metadata") or {}).get("deletionTimestamp"):
                    self.op_queue.add(key)  # deleting resources can take long: not on this pool
                    continue
                if app.get("operation") or _operation_running(app):
                    self.op_queue.add(key)
                started = time.monotonic()
                with self._working_on(key), self.metrics.reconciling(app):
                    outcome = self.reconciler.reconcile(app, live_change_only=live_only)
                _reconcile_log(key, outcome, time.monotonic() - started)
                if outcome.started_sync:
                    self.op_queue.add(key)
                if outcome.requeue_after is not None:
                    # Not marked explicit: the periodic refresh fires a period after this
                    # reconcile, when the last render is at least that old, so it renders anew.
                    self.queue.add_after(key, outcome.requeue_after)
                self.queue.forget(key)
            except NotOwner:
                log.info("stopped reconciling %s: it moved to another controller replica", key)
            except Exception:
                log.exception("status worker failed on %s", key)
                self.queue.add_rate_limited(key)
            finally:
                self.queue.done(key)

    def _operation_worker(self) -> None:
        while not self._stop.is_set():
            key = self.op_queue.get(timeout=1.0)
            if key is None:
                continue
            try:
                app = self.apps.store.get(key)
                if app is not None and self._mine(key, app):
                    with self._working_on(key), self.metrics.working_on(app):
                        self._operate(key, app)
                self.op_queue.forget(key)
            except NotOwner:
                log.info("left the operation of %s to the controller replica that now owns it", key)
            except Exception as exc:
                if isinstance(exc, OperationPaused) or server_unavailable(exc):
                    # Not a failure of the operation: it is resumed once the server answers.
                    log.warning("%s; the operation resumes in %.0fs", exc, PAUSED_RETRY_SECONDS)
                    self.op_queue.add_after(key, PAUSED_RETRY_SECONDS)
                else:
                    log.exception("operation worker failed on %s", key)
                    self.op_queue.add_rate_limited(key)
            finally:
                self.op_queue.done(key)

    def _operate(self, key: str, app: Obj) -> None:
        meta = app.get("metadata") or {}
        if meta.get("deletionTimestamp"):
            if self.executor.delete(app):
                self.cp.remove_finalizers(
                    str(meta.get("namespace")),
                    str(meta.get("name")),
                    (RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND, POST_DELETE_FINALIZER),
                )
            else:
                self.op_queue.add_after(key, 5.0)
            return
        if app.get("operation") or _operation_running(app):
            with self._working_lock:
                self._operating[key] = time.monotonic()
            try:
                self.executor.run(app)
            finally:
                with self._working_lock:
                    self._operating.pop(key, None)
            self.queue.add(key)  # compare again after the operation

    def _operation_quiet_left(self, key: str) -> float:
        """Seconds the live changes of ``key`` still wait because its sync runs here (or 0)."""
        with self._working_lock:
            began = self._operating.get(key)
        return 0.0 if began is None else max(0.0, began + OPERATION_QUIET_S - time.monotonic())

    def _watch_connections(self) -> None:
        """Re-queue every app when a destination cluster's connection state flips.

        Watch failures are noticed by the cache, not by any app; without this an
        app would keep saying Synced about a cluster that is gone until its
        periodic refresh (and would not recover promptly when it returns).
        """
        seen: dict[str, str] = {}
        while not self._stop.wait(1.0):
            with self._caches_lock:
                caches = list(self._caches.values())
            changed = False
            for cache in caches:
                state = str(cache.status().status)
                if seen.get(cache.server, state) != state:
                    log.info("cluster %s is now %s", cache.server, state)
                    changed = True
                seen[cache.server] = state
            if changed:
                self._requeue_all()

    def start(self) -> None:
        for w in self._watchers:
            w.start()
        for w in self._watchers:
            w.synced.wait(30.0)
        self.apps.start()
        self.apps.wait_synced(30.0)
        if self.sharding is not None:
            self.sharding.start()
        for i in range(self._status_workers):
            self._spawn(self._status_worker, f"status-{i}")
        for i in range(self._operation_workers):
            self._spawn(self._operation_worker, f"operation-{i}")
        self._spawn(self._watch_connections, "cluster-connections")

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        self.queue.shutdown()
        self.op_queue.shutdown()
        self.apps.stop()
        for w in self._watchers:
            w.stop()
        with self._caches_lock:
            caches = list(self._caches.values())
        for t in self._threads:
            t.join(timeout=5.0)
        if self.sharding is not None:  # after the workers: nothing writes once the Lease is gone
            self.sharding.stop()
        for cache in caches:
            cache.stop(timeout=2.0)


def _operation_running(app: Obj) -> bool:
    return ((app.get("status") or {}).get("operationState") or {}).get("phase") in ("Running", "Terminating")
