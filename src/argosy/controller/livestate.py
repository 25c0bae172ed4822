"""The reconciler's view of one destination cluster, over the kube live cache."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from argosy.engine.diff import server_side_cache_key
from argosy.engine.diff.redact import hash_secret_values
from argosy.engine.keys import ResourceKey
from argosy.kube.apply import ClusterOps
from argosy.kube.errors import KubeError
from argosy.kube.livecache import ClusterCache, ConnectionStatus

log = logging.getLogger(__name__)

Obj = dict[str, Any]


class Predictions:
    """Server-side-apply dry-run results, keyed by (desired, live resourceVersion).

    A dry run is one API call; caching by the live object's resourceVersion
    means it is repeated only when Git's object or the live object changed.
    Secret values are hashed before an entry is kept.
    """

    def __init__(self, ops: ClusterOps, size: int = 20000) -> None:
        self.ops = ops
        self._size = size
        self._entries: OrderedDict[str, Obj | None] = OrderedDict()
        self._lock = threading.Lock()
        self.calls = 0

    def predict(self, desired: Obj, live: Obj) -> Obj | None:
        version = str((live.get("metadata") or {}).get("resourceVersion") or "")
        key = server_side_cache_key(desired, version)
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        self.calls += 1
        try:
            predicted: Obj | None = hash_secret_values(
                self.ops.server_side_apply(desired, force=True, dry_run=True)
            )
        except KubeError as exc:
            # The structural diff takes over; the sync's own dry run reports the error to the user.
            log.debug("server-side dry run of %s failed: %s", ResourceKey.of(desired), exc)
            predicted = None
        with self._lock:
            self._entries[key] = predicted
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)
        return predicted


class CacheLiveState:
    """Implements the reconciler's ``LiveState`` protocol for a :class:`ClusterCache`."""

    def __init__(self, cache: ClusterCache, predictions: Predictions | None = None) -> None:
        self.cache = cache
        self.predictions = predictions

    def predict(self, desired: Obj, live: Obj) -> Obj | None:
        return self.predictions.predict(desired, live) if self.predictions is not None else None

    def connection_error(self) -> str:
        status = self.cache.status()
        if status.status != ConnectionStatus.SUCCESSFUL:
            return status.message or f"connection status {status.status}"
        if not status.synced:
            return "live state is still being loaded"
        return ""

    def server_version(self) -> str:
        return self.cache.status().server_version

    def api_versions(self) -> list[str]:
        """What Helm's ``--api-versions`` takes: ``group/version`` and ``group/version/Kind``."""
        resources = self.cache.resources
        if resources is None:
            return []
        out: set[str] = set()
        for r in resources.resources:
            out.add(r.api_version)
            out.add(f"{r.api_version}/{r.kind}")
        return sorted(out)

    def is_namespaced(self, group: str, kind: str) -> bool | None:
        resources = self.cache.resources
        found = resources.get(group, kind) if resources is not None else None
        return None if found is None else found.namespaced

    def owned_by(self, instance: str) -> dict[ResourceKey, Obj]:
        return dict(self.cache.app_objects(instance))

    def get(self, key: ResourceKey) -> Obj | None:
        return self.cache.get(key)

    def unowned_in(self, namespace: str) -> list[Obj]:
        """Top-level objects of ``namespace`` that no Application tracks (orphan candidates)."""
        out = []
        for obj in self.cache.objects(namespace=namespace):
            meta = obj.get("metadata") or {}
            if meta.get("ownerReferences") or self.cache.owner(ResourceKey.of(obj)) is not None:
                continue
            out.append(obj)
        return out
