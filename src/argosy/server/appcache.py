"""The server's watch cache of Applications: lists and streams answered from memory.

Argo CD's UI takes ~35 s to open with 8,000 applications (argo-cd#9575)
because every page load lists every application in full. Here one
list+watch per application namespace (the same informer loop as the
controller's, :class:`~argosy.kube.watcher.KindWatcher`) keeps the current
Applications in memory, started on the first request that needs them:

- ``GET /api/v1/applications`` filters, projects (``fields=``) and pages
  (``limit`` + ``continue``) this snapshot instead of asking Kubernetes;
- ``GET /api/v1/stream/applications`` subscribes to its events, so 100 open
  browser tabs cost one Kubernetes watch, not 100;
- writes made through this server are put into the cache as soon as the
  API server answers them, so a client reads its own writes at once. Changes
  made elsewhere (kubectl, the controller) arrive within the watch's latency,
  as with Argo CD's own informer-backed list.

A subscriber that reconnects with the ``resourceVersion`` of its last list
or event gets the events it missed from a bounded replay buffer; when the
buffer no longer reaches back that far, it gets every current application
as ``ADDED`` (its view then stays exact except for deletions it missed,
which a client detects with a fresh list).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError
from argosy.kube.watcher import KindWatcher, WatchSink
from argosy.kube.wellknown import APPLICATIONS

log = logging.getLogger(__name__)

REPLAY_EVENTS = 20_000
"""How many recent events a reconnecting stream can be replayed (about 2 per app at 10,000 apps)."""

Listener = Callable[[str, dict[str, Any]], None]
"""Called with ``(event_type, application)`` from the watch thread; must not block."""


def version_newer(candidate: str, current: str) -> bool:
    """Whether ``candidate`` is a later resourceVersion than ``current``.

    Kubernetes calls them opaque, but every etcd-backed API server hands out
    increasing integers (its own watch cache compares them as such); anything
    else is taken as newer so the cache never keeps a stale copy.
    """
    try:
        return int(candidate) > int(current)
    except ValueError:
        return candidate != current


@dataclass
class Snapshot:
    """Every cached application of one namespace (sorted by name) and the version they are at."""

    items: list[dict[str, Any]]
    resource_version: str
    synced: bool
    error: str = ""


@dataclass
class _Subscriber:
    listener: Listener
    closed: bool = False


@dataclass
class ApplicationCache(WatchSink):
    """Applications of one namespace, kept current by one watch; thread-safe."""

    client: KubeClient
    namespace: str
    watch_timeout_seconds: int = 300
    _apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    _version: str = ""
    _events: deque[tuple[str, str, dict[str, Any]]] = field(
        default_factory=lambda: deque(maxlen=REPLAY_EVENTS)
    )
    _subscribers: list[_Subscriber] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _error: str = ""
    _watcher: KindWatcher | None = None

    # ----------------------------------------------------------- lifecycle
    def start(self) -> None:
        with self._lock:
            if self._watcher is not None:
                return
            self._watcher = KindWatcher(
                self.client,
                APPLICATIONS,
                self,
                namespace=self.namespace,
                watch_timeout_seconds=self.watch_timeout_seconds,
            )
        self._watcher.start()

    def stop(self) -> None:
        with self._lock:
            watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.stop()

    def wait_synced(self, timeout: float) -> bool:
        self.start()
        watcher = self._watcher
        return watcher is not None and watcher.synced.wait(timeout)

    # ------------------------------------------------------------- reading
    def snapshot(self) -> Snapshot:
        with self._lock:
            items = [self._apps[name] for name in sorted(self._apps)]
            synced = self._watcher is not None and self._watcher.synced.is_set()
            return Snapshot(items, self._version, synced, self._error)

    def subscribe(self, listener: Listener, since: str = "") -> Callable[[], None]:
        """Send ``listener`` the current state (all as ``ADDED``, or what happened after
        ``since``), then every change; returns the function that unsubscribes."""
        sub = _Subscriber(listener)
        with self._lock:
            backlog = self._backlog(since)
            # Delivered under the lock so no live event can overtake the backlog.
            for event_type, obj in backlog:
                listener(event_type, obj)
            self._subscribers.append(sub)

        def unsubscribe() -> None:
            with self._lock:
                sub.closed = True
                with contextlib.suppress(ValueError):
                    self._subscribers.remove(sub)

        return unsubscribe

    def _backlog(self, since: str) -> list[tuple[str, dict[str, Any]]]:
        if since and since == self._version:
            return []
        if since and self._events and not version_newer(self._events[0][0], since):
            return [(t, o) for v, t, o in self._events if version_newer(v, since)]
        if since and not self._events and self._version and not version_newer(self._version, since):
            return []
        return [("ADDED", self._apps[name]) for name in sorted(self._apps)]

    # ------------------------------------------------- writes of this server
    def observe(self, obj: dict[str, Any]) -> None:
        """Take in an application this server just wrote (read-your-writes)."""
        meta = obj.get("metadata") or {}
        name, version = str(meta.get("name") or ""), str(meta.get("resourceVersion") or "")
        if not name or not version:
            return
        with self._lock:
            current = self._apps.get(name)
            if current is not None:
                if not version_newer(version, str(current["metadata"].get("resourceVersion") or "")):
                    return
                self._record(version, "MODIFIED", obj)
            else:
                self._record(version, "ADDED", obj)

    def forget(self, name: str) -> None:
        """An application this server deleted and that is gone (no finalizer held it)."""
        with self._lock:
            current = self._apps.get(name)
            if current is not None:
                self._record(str(current["metadata"].get("resourceVersion") or ""), "DELETED", current)

    # ------------------------------------------------------- the watch sink
    def replace(self, watcher: KindWatcher, objects: list[dict[str, Any]]) -> None:
        with self._lock:
            seen = {str(o["metadata"]["name"]): o for o in objects if (o.get("metadata") or {}).get("name")}
            version = watcher.resource_version
            for name, obj in seen.items():
                old = self._apps.get(name)
                new_version = str(obj["metadata"].get("resourceVersion") or "")
                if old is None:
                    self._record(new_version, "ADDED", obj)
                elif str(old["metadata"].get("resourceVersion") or "") != new_version:
                    self._record(new_version, "MODIFIED", obj)
            for name in [n for n in self._apps if n not in seen]:
                self._record(version, "DELETED", self._apps[name])
            self._error = ""

    def event(self, watcher: KindWatcher, kind: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        name, version = str(meta.get("name") or ""), str(meta.get("resourceVersion") or "")
        if not name:
            return
        with self._lock:
            current = self._apps.get(name)
            if kind != "DELETED" and current is not None:
                known = str(current["metadata"].get("resourceVersion") or "")
                if known == version or not version_newer(version, known):
                    self._version = version if version_newer(version, self._version) else self._version
                    return  # this server wrote it already (observe) and told its subscribers
            self._record(version, kind, obj)

    def healthy(self, watcher: KindWatcher) -> None:
        with self._lock:
            self._error = ""
            if watcher.resource_version and version_newer(watcher.resource_version, self._version):
                self._version = watcher.resource_version

    def failed(self, watcher: KindWatcher, error: KubeError) -> None:
        with self._lock:
            self._error = str(error)
        log.warning("application cache %s: %s (retrying)", self.namespace, error)

    def _record(self, version: str, kind: str, obj: dict[str, Any]) -> None:
        """Apply one change and tell the subscribers (the lock is held)."""
        name = str(obj["metadata"]["name"])
        if kind == "DELETED":
            self._apps.pop(name, None)
            # Names only, plus the project: a stream tells a deletion only to who could see the app.
            project = str((obj.get("spec") or {}).get("project") or "default")
            obj = {
                "metadata": {"name": name, "namespace": self.namespace, "resourceVersion": version},
                "spec": {"project": project},
            }
        else:
            self._apps[name] = obj
        if version and (not self._version or version_newer(version, self._version)):
            self._version = version
        self._events.append((version, kind, obj))
        for sub in list(self._subscribers):
            if not sub.closed:
                sub.listener(kind, obj)


class ApplicationCaches:
    """One :class:`ApplicationCache` per application namespace, made on first use."""

    def __init__(self, client: KubeClient, watch_timeout_seconds: int = 300) -> None:
        self.client = client
        self.watch_timeout_seconds = watch_timeout_seconds
        self._caches: dict[str, ApplicationCache] = {}
        self._lock = threading.Lock()

    def get(self, namespace: str) -> ApplicationCache:
        with self._lock:
            cache = self._caches.get(namespace)
            if cache is None:
                cache = ApplicationCache(self.client, namespace, self.watch_timeout_seconds)
                self._caches[namespace] = cache
        cache.start()
        return cache

    def peek(self, namespace: str) -> ApplicationCache | None:
        """The namespace's cache if one runs (writes feed only caches that exist)."""
        with self._lock:
            return self._caches.get(namespace)

    def stop(self) -> None:
        with self._lock:
            caches, self._caches = list(self._caches.values()), {}
        for cache in caches:
            cache.stop()
