"""The reconciler's view of one destination cluster, over the kube live cache."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any

from argosy.engine.diff import prediction_key, with_live_status
from argosy.engine.diff.redact import hash_secret_values
from argosy.engine.keys import ResourceKey
from argosy.kube.apply import ClusterOps
from argosy.kube.errors import KubeError
from argosy.kube.livecache import ClusterCache, ConnectionStatus

log = logging.getLogger(__name__)

Obj = dict[str, Any]


class Predictions:
    """Server-side-apply dry-run results: for each live object, the latest one, with the key of
    Git's object and what of the live object the dry run depends on
    (:func:`~argosy.engine.diff.prediction_key`).

    A dry run is one API call; it is repeated only when Git's object or the live object changed
    (not for status-only changes). A sync's own writes teach it (:meth:`learn`): right after a
    write of the desired object, live *is* what a dry run of it would predict, so the compare
    that follows every sync costs no dry run. Secret values are hashed before an entry is kept.

    One entry per object, replaced when its key changes: an older version of an object is never
    compared again, and a fleet's working set is its objects. (Entries keyed by version alone,
    20,000 at most, thrashed at 3,000 apps of 10 objects: every comparison missed, and ~60 ConfigMap
    dry runs a second were the largest share of the API server's request time.) ``size`` only
    bounds the entries of deleted objects.
    """

    def __init__(self, ops: ClusterOps, size: int = 200_000) -> None:
        self.ops = ops
        self._size = size
        self._entries: OrderedDict[ResourceKey, tuple[str, Obj | None]] = OrderedDict()
        self._lock = threading.Lock()
        self.calls = 0
        self.learned = 0

    def predict(self, desired: Obj, live: Obj) -> Obj | None:
        obj, key = ResourceKey.of(live), prediction_key(desired, live)
        with self._lock:
            entry = self._entries.get(obj)
            if entry is not None and entry[0] == key:
                self._entries.move_to_end(obj)
                cached = entry[1]
                return None if cached is None else with_live_status(cached, live)
        self.calls += 1
        try:
            predicted: Obj | None = hash_secret_values(
                self.ops.server_side_apply(desired, force=True, dry_run=True)
            )
        except KubeError as exc:
            # The structural diff takes over; the sync's own dry run reports the error to the user.
            log.debug("server-side dry run of %s failed: %s", obj, exc)
            predicted = None
        self._keep(obj, key, predicted)
        return predicted

    def learn(self, desired: Obj, applied: Obj) -> None:
        """``applied`` is what the API server answered to a write of ``desired``."""
        self._keep(ResourceKey.of(applied), prediction_key(desired, applied), hash_secret_values(applied))
        self.learned += 1

    def __len__(self) -> int:
        return len(self._entries)

    def _keep(self, obj: ResourceKey, key: str, predicted: Obj | None) -> None:
        with self._lock:
            self._entries[obj] = (key, predicted)
            self._entries.move_to_end(obj)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)


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
