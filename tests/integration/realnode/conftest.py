"""The real-node cluster of this package: started by its first test, stopped after its last one
(not at the end of the session), so its kubelet, containerd and the in-cluster Argosy these
tests install do not keep loading the machine while the rest of the suite runs."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from support.cluster import ClusterHandle, cluster_name, start_cluster


@pytest.fixture(scope="package")
def real_cluster() -> Iterator[ClusterHandle]:
    """A cluster with one real node (kubelet + containerd) beside a tainted kwok node, for the
    tests that need containers that really run. Needs root (namespaces, mounts, cgroups)."""
    if os.geteuid() != 0:
        pytest.skip("real nodes need root: network namespaces, mounts and cgroups")
    yield from start_cluster(cluster_name("real"), real_nodes=1)
