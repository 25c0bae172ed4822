"""Controller replicas sharing the applications.

* :mod:`.coordinator` — Argosy's sharding **by application** (``--shards auto``):
  consistent, bounded-load assignment coordinated through Leases.
* :mod:`.by_cluster` — Argo CD's sharding by destination cluster, for compatibility.
"""

from argosy.controller.sharding.by_cluster import ClusterSharding
from argosy.controller.sharding.coordinator import NotOwner, ShardCoordinator
from argosy.controller.sharding.leases import LeaseStore

__all__ = ["ClusterSharding", "LeaseStore", "NotOwner", "ShardCoordinator"]
