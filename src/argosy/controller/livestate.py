"""The reconciler's view of one destination cluster, over the kube live cache."""

from __future__ import annotations

from typing import Any

from argosy.engine.sync import ResourceKey
from argosy.kube.livecache import ClusterCache, ConnectionStatus
from argosy.kube.objects import ObjectKey

Obj = dict[str, Any]


class CacheLiveState:
    """Implements the reconciler's ``LiveState`` protocol for a :class:`ClusterCache`."""

    def __init__(self, cache: ClusterCache) -> None:
        self.cache = cache

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
        return {ResourceKey(*k): v for k, v in self.cache.app_objects(instance).items()}

    def get(self, key: ResourceKey) -> Obj | None:
        return self.cache.get(ObjectKey(key.group, key.kind, key.namespace, key.name))
