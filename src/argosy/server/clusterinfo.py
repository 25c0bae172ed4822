"""Connection state and Kubernetes version of destination clusters, probed and briefly cached.

``argosy cluster list`` shows, per cluster, whether Argosy can reach it and
which Kubernetes version it runs (``VERSION``/``STATUS``/``MESSAGE``), as
``argocd cluster list`` does. Argo CD reads this from the controller's
cluster cache in Redis; Argosy has no shared cache, so the server asks the
cluster itself (``GET /version`` with the cluster Secret's credentials) and
keeps each answer for a few seconds, so a page of clusters or a script that
polls does not probe every cluster on every request. Probes run in
parallel and time out, so one dead cluster never holds up the others; a
failure is reported, never raised.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from typing import Any

from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError
from argosy.settings.clusters import ClusterConfig

SUCCESSFUL, FAILED = "Successful", "Failed"


@dataclass(frozen=True)
class ClusterInfo:
    ok: bool
    server_version: str
    message: str
    attempted_at: datetime

    def connection_state(self) -> dict[str, Any]:
        """Argo CD's ``ConnectionState`` (``attemptedAt`` is when the probe ran)."""
        return {
            "status": SUCCESSFUL if self.ok else FAILED,
            "message": self.message,
            "attemptedAt": self.attempted_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


def probe(cluster: ClusterConfig, timeout: float = 5.0) -> ClusterInfo:
    """Ask the cluster for its version; never raises."""
    now = datetime.now(UTC)
    try:
        client = KubeClient(cluster)
    except KubeError as exc:
        return ClusterInfo(False, "", str(exc), now)
    try:
        check = client.check(timeout=timeout)
    finally:
        client.close()
    return ClusterInfo(check.ok, check.server_version, "" if check.ok else check.message, now)


def _key(cluster: ClusterConfig) -> tuple[str, str]:
    # A changed Secret (new token, new CA) must not be answered from an old probe; every field counts
    # (``repr`` hides the credentials), hashed so the key holds none of them.
    return (cluster.server, hashlib.sha256(repr(astuple(cluster)).encode()).hexdigest())


class ClusterInfoCache:
    """Probe results per cluster for ``ttl`` seconds; thread-safe, one per server process."""

    def __init__(self, ttl: float = 10.0, timeout: float = 5.0, workers: int = 8) -> None:
        self.ttl = ttl
        self.timeout = timeout
        self.workers = workers
        self._entries: dict[tuple[str, str], tuple[float, ClusterInfo]] = {}
        self._lock = threading.Lock()

    def _cached(self, cluster: ClusterConfig) -> ClusterInfo | None:
        with self._lock:
            entry = self._entries.get(_key(cluster))
        if entry is None or time.monotonic() - entry[0] > self.ttl:
            return None
        return entry[1]

    def put(self, cluster: ClusterConfig, info: ClusterInfo) -> None:
        with self._lock:
            self._entries[_key(cluster)] = (time.monotonic(), info)

    def get(self, cluster: ClusterConfig) -> ClusterInfo:
        return self.get_many([cluster])[0]

    def get_many(self, clusters: Sequence[ClusterConfig]) -> list[ClusterInfo]:
        """One result per cluster, in order; stale or missing ones are probed in parallel."""
        results: list[ClusterInfo | None] = [self._cached(c) for c in clusters]
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            with ThreadPoolExecutor(max_workers=min(self.workers, len(missing))) as pool:
                probed = list(pool.map(lambda i: probe(clusters[i], self.timeout), missing))
            for i, info in zip(missing, probed, strict=True):
                self.put(clusters[i], info)
                results[i] = info
        return [r for r in results if r is not None]
