"""The live state of one destination cluster, kept current by watches.

For each cluster the controller starts a :class:`ClusterCache`. It discovers
the cluster's APIs, then runs ONE list+watch per kind (not per app) for every
kind that can be listed and watched and is not excluded by
``resource.exclusions``/``inclusions`` (see :mod:`argosy.kube.exclusions`).
Objects are stored lean (see :mod:`argosy.kube.objects`: no managed fields
but Argosy's, Secret values hashed) and indexed by the app that owns them, as
told by the ``owner_of`` callable the controller builds from its tracking
settings.

Subscribers get ``callback(cluster_server, key, old, new)`` for every change
(``old`` None on create, ``new`` None on delete) from the watch thread, within
milliseconds of the API server's event: callbacks must only enqueue work.

When a CustomResourceDefinition or APIService changes, discovery runs again:
new kinds are watched, removed kinds are dropped (subscribers see deletes).
When the cluster is unreachable, :meth:`ClusterCache.status` turns
``Failed`` with the reason, objects already known are kept (never treated as
deleted), watches retry with backoff, and on recovery they resume from their
last resourceVersion (or list again if it expired) and the status returns to
``Successful``.

A partition that drops packets tells nobody: a watch on a silent connection
would wait out its read timeout (minutes) while the cache still looked fine. So
while the cluster is known, the cache asks for ``/version`` every
``probe_seconds`` (bounded by ``probe_timeout``); a probe that cannot reach the
server turns the status ``Failed`` (naming the cluster) and ends every open
watch, which reconnect — failing, with backoff, until the network is back. The
probe also runs (every 2 s) while watches fail: once it is answered, the
failing watches retry at once instead of sitting out their backoff (up to 15 s).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from argosy.engine.keys import ResourceKey
from argosy.kube.clients import KubeClient
from argosy.kube.discovery import (
    APISERVICE_GROUP_KIND,
    CRD_GROUP_KIND,
    ApiResource,
    ApiResources,
    discover,
    established_crd_kinds,
)
from argosy.kube.errors import ClusterUnreachable, KubeApiError, KubeError
from argosy.kube.exclusions import ResourceFilter
from argosy.kube.metrics import RequestHook
from argosy.kube.objects import DEFAULT_KEPT_MANAGERS, lean
from argosy.kube.watcher import Backoff, KindWatcher, WatchSink
from argosy.settings.clusters import ClusterConfig

ChangeCallback = Callable[[str, ResourceKey, dict[str, Any] | None, dict[str, Any] | None], None]
OwnerOf = Callable[[dict[str, Any]], str | None]
_CRD_RETRY_SECONDS = 0.5
PROBE_SECONDS = 10.0
PROBE_TIMEOUT = 5.0
_FAILING_PROBE_SECONDS = 2.0  # after a failed probe: notice the way back quickly
_PROBE = "probe"
log = logging.getLogger(__name__)
_CRD_RETRIES = 40


class ConnectionStatus(StrEnum):
    """As Argo CD's ``connectionState.status``."""

    UNKNOWN = "Unknown"
    SUCCESSFUL = "Successful"
    FAILED = "Failed"


@dataclass(frozen=True)
class ClusterStatus:
    """What ``cluster list``, metrics and conditions show about a cluster's cache."""

    server: str
    name: str
    status: ConnectionStatus
    message: str = ""
    server_version: str = ""
    last_sync: datetime | None = None
    """When the cache last became complete (all kinds listed) or was last confirmed so."""
    synced: bool = False
    objects_per_kind: dict[str, int] = field(default_factory=dict)
    watched_kinds: int = 0
    discovery_errors: tuple[str, ...] = ()


class ClusterCache(WatchSink):
    """Watches one cluster; thread-safe reads; ``start()`` once, ``stop()`` once."""

    def __init__(
        self,
        cluster: ClusterConfig,
        *,
        resource_filter: ResourceFilter | None = None,
        owner_of: OwnerOf | None = None,
        keep_managers: frozenset[str] | None = DEFAULT_KEPT_MANAGERS,
        request_hook: RequestHook | None = None,
        backoff: Backoff | None = None,
        watch_timeout_seconds: int = 300,
        rediscover_seconds: float = 600.0,
        client: KubeClient | None = None,
        probe_seconds: float = PROBE_SECONDS,
        probe_timeout: float = PROBE_TIMEOUT,
    ) -> None:
        self.cluster = cluster
        self.server = cluster.server
        self._filter = resource_filter or ResourceFilter()
        self._owner_of = owner_of
        self._keep_managers = keep_managers
        self._backoff = backoff or Backoff()
        self._watch_timeout = watch_timeout_seconds
        self._rediscover_seconds = rediscover_seconds
        self._probe_seconds = probe_seconds
        self._probe_timeout = probe_timeout
        self._request_hook = request_hook
        self._client = client
        self._lock = threading.RLock()
        self._objects: dict[ResourceKey, dict[str, Any]] = {}
        self._counts: Counter[tuple[str, str]] = Counter()
        self._owner: dict[ResourceKey, str] = {}
        self._by_app: dict[str, set[ResourceKey]] = {}
        self._watchers: dict[tuple[str, str, str], KindWatcher] = {}
        self._failing: dict[str, str] = {}
        self._subscribers: list[ChangeCallback] = []
        self._resources: ApiResources | None = None
        self._status = ConnectionStatus.UNKNOWN
        self._message = ""
        self._version = ""
        self._last_sync: datetime | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._synced = threading.Event()
        self._crd_retries = 0
        self._supervisor = threading.Thread(
            target=self._supervise, name=f"livecache {cluster.display_name}", daemon=True
        )

    # ------------------------------------------------------------ lifecycle
    @property
    def client(self) -> KubeClient:
        if self._client is None:
            self._client = KubeClient(self.cluster, hook=self._request_hook, pool_size=256)
        return self._client

    def start(self) -> None:
        self._supervisor.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop every watch and wait (bounded) for the threads to end."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            watchers = list(self._watchers.values())
        for w in watchers:
            w.stop()
        deadline = time.monotonic() + timeout
        for w in watchers:
            w.join(max(0.0, deadline - time.monotonic()))
        if self._supervisor.is_alive():
            self._supervisor.join(max(0.0, deadline - time.monotonic()))
        if self._client is not None:
            self._client.close()

    def wait_synced(self, timeout: float) -> bool:
        """True once every watched kind has been listed (False on timeout)."""
        return self._synced.wait(timeout)

    def subscribe(self, callback: ChangeCallback) -> Callable[[], None]:
        """Register a change callback; returns a function that unregisters it."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def set_filter(self, resource_filter: ResourceFilter) -> None:
        """New argocd-cm exclusions/inclusions: start and stop watches accordingly."""
        with self._lock:
            self._filter = resource_filter
        self._wake.set()

    def set_owner_of(self, owner_of: OwnerOf | None) -> None:
        """New tracking settings: re-index every object by owning app."""
        with self._lock:
            self._owner_of = owner_of
            self._owner.clear()
            self._by_app.clear()
            for key, obj in self._objects.items():
                self._index(key, obj)

    # ----------------------------------------------------------------- reads
    @property
    def resources(self) -> ApiResources | None:
        """The last successful discovery (apply uses it to map kinds to paths)."""
        return self._resources

    def get(self, key: ResourceKey) -> dict[str, Any] | None:
        with self._lock:
            return self._objects.get(key)

    def objects(
        self, group: str | None = None, kind: str | None = None, namespace: str | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            return [
                o
                for k, o in self._objects.items()
                if (group is None or k.group == group)
                and (kind is None or k.kind == kind)
                and (namespace is None or k.namespace == namespace)
            ]

    def app_objects(self, app: str) -> dict[ResourceKey, dict[str, Any]]:
        """Objects owned by ``app`` (as ``owner_of`` decided). Treat them as read-only."""
        with self._lock:
            return {k: self._objects[k] for k in self._by_app.get(app, ()) if k in self._objects}

    def owner(self, key: ResourceKey) -> str | None:
        with self._lock:
            return self._owner.get(key)

    def is_watched(self, group: str, kind: str) -> bool:
        with self._lock:
            return any((g, k) == (group, kind) for g, k, _ in self._watchers)

    def status(self) -> ClusterStatus:
        with self._lock:
            counts = {f"{k}.{g}" if g else k: n for (g, k), n in self._counts.items() if n}
            return ClusterStatus(
                server=self.server,
                name=self.cluster.display_name,
                status=self._status,
                message=self._message,
                server_version=self._version,
                last_sync=self._last_sync,
                synced=self._synced.is_set(),
                objects_per_kind=counts,
                watched_kinds=len(self._watchers),
                discovery_errors=self._resources.errors if self._resources else (),
            )

    # ------------------------------------------------------------ watch sink
    def _lean(self, obj: dict[str, Any]) -> dict[str, Any]:
        return lean(obj, self._keep_managers)

    def _index(self, key: ResourceKey, obj: dict[str, Any]) -> None:
        owner = self._owner_of(obj) if self._owner_of else None
        previous = self._owner.get(key)
        if previous == owner:
            return
        if previous is not None:
            self._by_app.get(previous, set()).discard(key)
            del self._owner[key]
        if owner:
            self._owner[key] = owner
            self._by_app.setdefault(owner, set()).add(key)

    def _unindex(self, key: ResourceKey) -> None:
        owner = self._owner.pop(key, None)
        if owner is not None:
            self._by_app.get(owner, set()).discard(key)

    def _notify(
        self, changes: Iterable[tuple[ResourceKey, dict[str, Any] | None, dict[str, Any] | None]]
    ) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        if not subscribers:
            return
        for key, old, new in changes:
            for cb in subscribers:
                cb(self.server, key, old, new)

    def _put(self, key: ResourceKey, obj: dict[str, Any] | None) -> dict[str, Any] | None:
        """Store (or remove) under the lock; returns the previous object."""
        old = self._objects.get(key)
        gk = (key.group, key.kind)
        if obj is None:
            if old is not None:
                del self._objects[key]
                self._counts[gk] -= 1
                self._unindex(key)
            return old
        self._objects[key] = obj
        if old is None:
            self._counts[gk] += 1
        self._index(key, obj)
        return old

    def replace(self, watcher: KindWatcher, objects: list[dict[str, Any]]) -> None:
        """A fresh list: store it and report what changed since the last one."""
        fresh = {ResourceKey.of(o): self._lean(o) for o in objects}
        gk, ns = watcher.group_kind, watcher.namespace
        changes: list[tuple[ResourceKey, dict[str, Any] | None, dict[str, Any] | None]] = []
        with self._lock:
            stale = [k for k in self._objects if (k.group, k.kind) == gk and (not ns or k.namespace == ns)]
            for key in stale:
                if key not in fresh:
                    changes.append((key, self._put(key, None), None))
            for key, obj in fresh.items():
                old = self._put(key, obj)
                if old is None or _version(old) != _version(obj):
                    changes.append((key, old, obj))
        self._notify(changes)
        if gk in (CRD_GROUP_KIND, APISERVICE_GROUP_KIND) and watcher.relists > 0:
            self._wake.set()

    def event(self, watcher: KindWatcher, kind: str, obj: dict[str, Any]) -> None:
        key = ResourceKey.of(obj)
        with self._lock:
            if kind == "DELETED":
                old, new = self._put(key, None), None
            else:
                new = self._lean(obj)
                old = self._put(key, new)
        self._notify([(key, old, new)])
        if watcher.group_kind in (CRD_GROUP_KIND, APISERVICE_GROUP_KIND):
            self._wake.set()

    def healthy(self, watcher: KindWatcher) -> None:
        with self._lock:
            self._failing.pop(watcher.name, None)
            self._refresh_status()
        self._check_synced()

    def failed(self, watcher: KindWatcher, error: KubeError) -> None:
        with self._lock:
            if isinstance(error, ClusterUnreachable):
                self._failing[watcher.name] = str(error)
            else:
                # An error on one kind (RBAC, a broken aggregated API) does not make the cluster
                # unreachable; it is reported in the message while other kinds keep working.
                self._failing[watcher.name] = f"{watcher.name}: {error}"
            self._refresh_status()
        if (
            isinstance(error, KubeApiError)
            and error.status in (403, 404, 405)
            and not watcher.synced.is_set()
        ):
            # A kind we may not list (RBAC) or that vanished must not block wait_synced forever;
            # the watcher keeps retrying with backoff and the message says which kind fails.
            watcher.synced.set()
            self._check_synced()

    def _refresh_status(self) -> None:
        unreachable = [m for m in self._failing.values() if "is unreachable" in m]
        if unreachable:
            self._status, self._message = ConnectionStatus.FAILED, unreachable[0]
        elif self._resources is not None:
            self._status = ConnectionStatus.SUCCESSFUL
            self._message = "; ".join(sorted(self._failing.values())[:3])
            if self._synced.is_set():
                self._last_sync = datetime.now(UTC)

    def _check_synced(self) -> None:
        with self._lock:
            ready = self._resources is not None and all(w.synced.is_set() for w in self._watchers.values())
            if ready and not self._synced.is_set():
                self._synced.set()
                self._last_sync = datetime.now(UTC)

    # ------------------------------------------------------------ supervisor
    def _wanted(self, resources: ApiResources) -> dict[tuple[str, str, str], ApiResource]:
        cluster = self.cluster
        wanted: dict[tuple[str, str, str], ApiResource] = {}
        for res in resources.preferred():
            if not res.watchable or self._filter.is_excluded(
                res.group, res.kind, cluster.server, cluster.name
            ):
                continue
            if cluster.namespaces:
                if res.namespaced:
                    for ns in cluster.namespaces:
                        wanted[(res.group, res.kind, ns)] = res
                elif cluster.cluster_resources:
                    wanted[(res.group, res.kind, "")] = res
            else:
                wanted[(res.group, res.kind, "")] = res
        return wanted

    def _reconcile_watchers(self, resources: ApiResources) -> None:
        with self._lock:
            wanted = self._wanted(resources)
            gone = [k for k, w in self._watchers.items() if k not in wanted or w.resource != wanted[k]]
            removed = [self._watchers.pop(k) for k in gone]
            new = {k: r for k, r in wanted.items() if k not in self._watchers}
            for (_g, _k, ns), res in new.items():
                watcher = KindWatcher(
                    self.client,
                    res,
                    self,
                    namespace=ns,
                    backoff=self._backoff,
                    watch_timeout_seconds=self._watch_timeout,
                    stop_event=self._stop,
                )
                self._watchers[(res.group, res.kind, ns)] = watcher
            if new:
                self._synced.clear()
        for w in removed:
            w.stop()
        for w in removed:
            self._drop_kind(w)
        for key in new:
            self._watchers[key].start()
        self._check_synced()

    def _drop_kind(self, watcher: KindWatcher) -> None:
        gk, ns = watcher.group_kind, watcher.namespace
        with self._lock:
            if (gk[0], gk[1], ns) in self._watchers:  # re-added under another version
                return
            keys = [k for k in self._objects if (k.group, k.kind) == gk and (not ns or k.namespace == ns)]
            changes = [(k, self._put(k, None), None) for k in keys]
            self._failing.pop(watcher.name, None)
        self._notify(changes)

    def _missing_crd_kinds(self, resources: ApiResources) -> bool:
        """An Established CRD whose kind discovery does not list yet (served a moment later)."""
        crds = self.objects(*CRD_GROUP_KIND)
        return any(resources.get(g, k) is None for g, k in established_crd_kinds(crds))

    def _supervise(self) -> None:
        """Run the supervisor until stopped; an unexpected error is logged and the loop goes on
        (a dead supervisor would leave the status as it was, Failed or not, for good)."""
        while not self._stop.is_set():
            try:
                self._supervise_loop()
            except Exception:
                log.exception("cache of cluster %s: supervisor error; going on", self.cluster.display_name)
                self._stop.wait(1.0)

    def _supervise_loop(self) -> None:
        attempt = 0
        due = 0.0  # when discovery runs next (monotonic clock)
        while not self._stop.is_set():
            delay = due - time.monotonic()
            if self._resources is not None and self._probe_seconds > 0:
                failing = self._status == ConnectionStatus.FAILED
                delay = min(delay, _FAILING_PROBE_SECONDS if failing else self._probe_seconds)
            woken = self._wake.wait(max(0.0, delay))
            self._wake.clear()
            if self._stop.is_set():
                break
            if not woken and time.monotonic() < due:
                self._probe()
                continue
            try:
                version = self.client.server_version(timeout=10.0)
                resources = discover(self.client)
            except KubeError as exc:
                with self._lock:
                    self._status, self._message = ConnectionStatus.FAILED, str(exc)
                due = time.monotonic() + self._backoff.delay(attempt)
                attempt += 1
                continue
            attempt = 0
            with self._lock:
                self._version = version
                self._resources = resources
                self._failing.pop("discovery", None)
                self._failing.pop(_PROBE, None)
                self._refresh_status()
            self._reconcile_watchers(resources)
            if self._missing_crd_kinds(resources) and self._crd_retries < _CRD_RETRIES:
                self._crd_retries += 1
                due = time.monotonic() + _CRD_RETRY_SECONDS
            else:
                self._crd_retries = 0
                due = time.monotonic() + self._rediscover_seconds

    def _probe(self) -> None:
        """Check that the API server answers; when it does not, say so and end the open watches.

        Only an unreachable server counts (an error status is an answer)."""
        try:
            self.client.server_version(timeout=self._probe_timeout)
        except ClusterUnreachable as exc:
            with self._lock:
                first = _PROBE not in self._failing
                self._failing[_PROBE] = str(exc)
                self._refresh_status()
                watchers = list(self._watchers.values())
            if first:
                log.warning("%s; ending its %d watches", exc, len(watchers))
            for watcher in watchers:
                watcher.interrupt()
            return
        except KubeError:
            pass
        with self._lock:
            recovered = self._failing.pop(_PROBE, None) is not None
            if recovered:
                self._refresh_status()
            watchers = [w for w in self._watchers.values() if w.name in self._failing]
        if recovered:
            log.info("cluster %s answers again", self.cluster.display_name)
        for watcher in watchers:  # back now: no need to sit out the rest of their backoff
            watcher.retry_now()


def _version(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")
