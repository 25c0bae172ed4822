"""The controller's watch of Applications (and of argocd-cm) in its namespaces.

It keeps the latest copy of every Application and tells the reconciler which
apps need work. Writing ``status`` produces a watch event too; such
status-only changes are *not* reconcile triggers (that would loop), while a
changed spec, operation, finalizers, deletion or the
``argocd.argoproj.io/refresh`` annotation are.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError
from argosy.kube.watcher import KindWatcher, WatchSink
from argosy.kube.wellknown import APPLICATIONS

Obj = dict[str, Any]


def app_key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def _render_view(obj: Obj) -> tuple[Any, ...]:
    """The parts of an Application whose change calls for a reconcile with a fresh render."""
    meta = obj.get("metadata") or {}
    return (
        obj.get("spec"),
        meta.get("deletionTimestamp"),
        meta.get("finalizers"),
        meta.get("annotations"),
        meta.get("labels"),
    )


def _operation_view(obj: Obj) -> tuple[Any, ...]:
    """The parts whose change calls for a reconcile (it hands the app to the operation workers)
    but not for a new render: the comparison's inputs are the same."""
    return (
        obj.get("operation"),
        ((obj.get("status") or {}).get("operationState") or {}).get("phase") == "Terminating",
    )


class ObjectStore(WatchSink):
    """Latest objects of one watched kind, with a callback on each change."""

    def __init__(self, on_change: Callable[[Obj | None, Obj | None], None]) -> None:
        self._objects: dict[str, Obj] = {}
        self._lock = threading.Lock()
        self._on_change = on_change
        self.error: str = ""

    def get(self, key: str) -> Obj | None:
        with self._lock:
            return self._objects.get(key)

    def items(self) -> list[Obj]:
        with self._lock:
            return list(self._objects.values())

    def replace(self, watcher: KindWatcher, objects: list[Obj]) -> None:
        with self._lock:
            old = self._objects
            self._objects = {app_key(o): o for o in objects}
            new = dict(self._objects)
        for key in old.keys() | new.keys():
            if old.get(key) != new.get(key):
                self._on_change(old.get(key), new.get(key))

    def event(self, watcher: KindWatcher, kind: str, obj: Obj) -> None:
        key = app_key(obj)
        with self._lock:
            old = self._objects.get(key)
            if kind == "DELETED":
                self._objects.pop(key, None)
                new: Obj | None = None
            else:
                self._objects[key] = obj
                new = obj
        self._on_change(old, new)

    def healthy(self, watcher: KindWatcher) -> None:
        self.error = ""

    def failed(self, watcher: KindWatcher, error: KubeError) -> None:
        self.error = str(error)


class AppWatch:
    """Applications of the given namespaces, feeding app keys to ``enqueue``."""

    def __init__(
        self,
        client: KubeClient,
        namespaces: list[str],
        enqueue: Callable[[str], None],
        enqueue_operation: Callable[[str], None] | None = None,
    ) -> None:
        """``enqueue``: reconcile with a fresh render; ``enqueue_operation`` (default ``enqueue``):
        only ``operation`` (or a terminate request) changed, e.g. the auto-sync's own write
        right after a reconcile that rendered the same spec — nothing to render or compare."""
        self.store = ObjectStore(self._changed)
        self._enqueue = enqueue
        self._enqueue_operation = enqueue_operation or enqueue
        self._watchers = [KindWatcher(client, APPLICATIONS, self.store, namespace=ns) for ns in namespaces]

    def _changed(self, old: Obj | None, new: Obj | None) -> None:
        key = app_key(new or old or {})
        if old is None or new is None or _render_view(old) != _render_view(new):
            self._enqueue(key)
        elif _operation_view(old) != _operation_view(new):
            self._enqueue_operation(key)

    def start(self) -> None:
        for w in self._watchers:
            w.start()

    def wait_synced(self, timeout: float) -> bool:
        return all(w.synced.wait(timeout) for w in self._watchers)

    def stop(self) -> None:
        for w in self._watchers:
            w.stop()
