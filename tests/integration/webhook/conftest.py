"""Fixtures of the webhook tests: a control-plane namespace with the CRDs and a server on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from webhook_support import Plane, start_server

from argosy.controller.bootstrap import bootstrap
from argosy.kube.clients import KubeClient
from argosy.server.run import BackgroundServer
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle


@pytest.fixture(scope="module")
def plane(cluster: ClusterHandle) -> Iterator[Plane]:
    namespace = f"argosy-wh-{uuid.uuid4().hex[:8]}"
    client = KubeClient(in_cluster_config(cluster.kubeconfig))
    bootstrap(client, namespace)  # CRDs, the namespace and the default project
    p = Plane(cluster, namespace)
    p.set_cm({})
    try:
        yield p
    finally:
        cluster.kubectl("delete", "namespace", namespace, "--wait=false", "--ignore-not-found", check=False)


@pytest.fixture(scope="module")
def server(plane: Plane) -> Iterator[BackgroundServer]:
    srv = start_server(plane)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def api(server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client
