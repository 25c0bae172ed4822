"""A Kubernetes client of the test cluster, for the tests of Argosy's own requests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from argosy.kube.clients import KubeClient
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle


@pytest.fixture
def client(cluster: ClusterHandle) -> Iterator[KubeClient]:
    c = KubeClient(in_cluster_config(cluster.kubeconfig))
    yield c
    c.close()
