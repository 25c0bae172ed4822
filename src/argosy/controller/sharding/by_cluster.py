"""Argo CD's per-cluster sharding, for installations that rely on it.

``argosy controller --replicas N --shard I --sharding-method legacy|round-robin``
(or ``ARGOCD_CONTROLLER_REPLICAS`` / ``ARGOCD_CONTROLLER_SHARD`` /
``ARGOCD_CONTROLLER_SHARDING_ALGORITHM``, the StatefulSet ordinal when no shard is
given) reconciles only the apps whose destination cluster falls on shard I. A
``shard`` field in the cluster Secret pins it; the in-cluster destination is
shard 0. All apps of one cluster stay on one replica — use ``--shards auto`` to
spread one big cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from argosy.engine.sharding import cluster_shards
from argosy.settings.secrets import secret_text

Obj = dict[str, Any]


class ClusterSharding:
    """Decides from the cluster Secrets (read from the controller's watch) on each call."""

    def __init__(
        self, replicas: int, shard: int, method: str, cluster_secrets: Callable[[], list[Obj]]
    ) -> None:
        if not 0 <= shard < replicas:
            raise ValueError(f"--shard {shard}: must be between 0 and --replicas - 1 ({replicas - 1})")
        cluster_shards([], replicas, method)  # validates the method
        self.replicas, self.shard, self.method = replicas, shard, method
        self.cluster_secrets = cluster_secrets

    def owns_server(self, server: str) -> bool:
        pairs: list[tuple[str, int | None]] = [("", None)]
        uid_of: dict[str, str] = {}
        for secret in self.cluster_secrets():
            values = secret_text(secret, what="cluster Secret", strict=False)
            url = values.get("server", "")
            uid = str((secret.get("metadata") or {}).get("uid") or "")
            raw_shard = values.get("shard", "").strip()
            pairs.append((uid, int(raw_shard) if raw_shard.isdigit() else None))
            if url:
                uid_of[url.rstrip("/")] = uid
        shards = cluster_shards(pairs, self.replicas, self.method)
        return shards.get(uid_of.get(server.rstrip("/"), ""), 0) == self.shard
