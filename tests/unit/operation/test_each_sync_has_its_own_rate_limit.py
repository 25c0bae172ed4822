"""Each sync operation spends its own API tokens, and Events theirs, as in Argo CD.

Argo CD builds new clients (new limiters) for every sync and records Events through a
client of their own, so ``ARGOCD_K8S_CLIENT_QPS`` bounds each of them. With one bucket
per cluster, a 1,000-app fleet synced two apps a second, every operation worker waiting.
The comparisons keep the cluster cache's bucket; the operations never drain it.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from argosy.appstate.settings import ControllerSettings
from argosy.controller.operation.executor import OperationExecutor
from argosy.kube.clients import KubeClient
from argosy.kube.ratelimit import RateLimit
from argosy.settings.clusters import ClusterConfig

APP: dict[str, Any] = {"metadata": {"name": "web", "namespace": "argocd"}}


def _client(name: str) -> KubeClient:
    return KubeClient(
        ClusterConfig(server=f"https://{name}.example:6443", name=name, kubeconfig=None),
        limit=RateLimit(qps=50, burst=100),
    )


def test_every_operation_has_a_bucket_of_its_own_on_the_cache_connections() -> None:
    control_plane, destination, events = _client("cp"), _client("dest"), _client("events")
    cache = SimpleNamespace(client=destination, resources=[])
    executor = OperationExecutor(control_plane, None, None, lambda _: cache, events=events)

    first, app_port, _ = executor._ports(APP, cache, ControllerSettings())  # type: ignore[arg-type]
    second, _, _ = executor._ports(APP, cache, ControllerSettings())  # type: ignore[arg-type]

    buckets = {id(first.client.bucket), id(second.client.bucket), id(destination.bucket)}
    assert len(buckets) == 3, "two operations and the cache never share tokens"
    assert first.client.api is destination.api, "but they share the cache's connections"
    assert first.ops.client is first.client and first.kubectl.client is first.client
    assert first.client.bucket.limit == destination.bucket.limit
    assert app_port.client is control_plane and app_port.events is events
