"""Live-cache costs: time to fill the cache with 1,000 ConfigMaps, memory per object,
and watch-event-to-callback latency (p50/p99 over 100 updates).

Not a test: starts its own local cluster (``bench-kube``), prints numbers, stops it.

    .venv/bin/python bench/bench_livecache.py [--objects 1000] [--updates 100]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from argosy.devcluster.cluster import LocalCluster
from argosy.engine.keys import ResourceKey
from argosy.kube.clients import KubeClient
from argosy.kube.livecache import ClusterCache
from argosy.settings.clusters import ClusterConfig, in_cluster_config

NAMESPACE = "bench"


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _populate(client: KubeClient, count: int) -> None:
    client.request("POST", "/api/v1/namespaces", body={"metadata": {"name": NAMESPACE}})

    def create(i: int) -> None:
        body = {
            "metadata": {"name": f"cm-{i:05d}", "labels": {"app.kubernetes.io/instance": f"app-{i % 20}"}},
            "data": {"index": str(i), "payload": "x" * 200},
        }
        client.request("POST", f"/api/v1/namespaces/{NAMESPACE}/configmaps", body=body)

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(create, range(count)))


def _owner(obj: dict[str, Any]) -> str | None:
    value = ((obj.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/instance")
    return value if isinstance(value, str) else None


def _fill(cluster: ClusterConfig, count: int) -> tuple[float, int]:
    cache = ClusterCache(cluster, owner_of=_owner)
    start = time.perf_counter()
    cache.start()
    assert cache.wait_synced(120), cache.status()
    elapsed = time.perf_counter() - start
    found = sum(
        1
        for o in cache.objects(kind="ConfigMap", namespace=NAMESPACE)
        if o["metadata"]["name"].startswith("cm-")
    )
    assert found == count, found
    cache.stop()
    return elapsed, found


def _memory(cluster: ClusterConfig) -> tuple[int, int]:
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    cache = ClusterCache(cluster, owner_of=_owner)
    cache.start()
    assert cache.wait_synced(120)
    after = tracemalloc.take_snapshot()
    total = sum(s.size_diff for s in after.compare_to(before, "filename"))
    objects = sum(cache.status().objects_per_kind.values())
    cache.stop()
    tracemalloc.stop()
    return total, objects


def _latency(cluster: ClusterConfig, client: KubeClient, updates: int) -> tuple[list[float], list[float]]:
    cache = ClusterCache(cluster, owner_of=_owner)
    cache.start()
    assert cache.wait_synced(120)
    key = ResourceKey("", "ConfigMap", NAMESPACE, "cm-00000")
    seen: dict[str, float] = {}
    arrived = threading.Condition()

    def on_change(_server: str, k: ResourceKey, _old: Any, new: dict[str, Any] | None) -> None:
        if k == key and new is not None:
            with arrived:
                seen[str(new.get("data", {}).get("index"))] = time.perf_counter()
                arrived.notify_all()

    cache.subscribe(on_change)
    from_request, from_response = [], []
    for i in range(updates):
        marker = f"u{i}"
        sent = time.perf_counter()
        client.request(
            "PATCH",
            f"/api/v1/namespaces/{NAMESPACE}/configmaps/cm-00000",
            body={"data": {"index": marker}},
            content_type="application/merge-patch+json",
        )
        answered = time.perf_counter()
        with arrived:
            assert arrived.wait_for(lambda m=marker: m in seen, timeout=10), f"no event for {marker}"
        from_request.append(seen[marker] - sent)
        from_response.append(seen[marker] - answered)
    cache.stop()
    return from_request, from_response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--updates", type=int, default=100)
    args = parser.parse_args()
    local = LocalCluster("bench-kube")
    local.up(progress=lambda m: print(f"[cluster] {m}", flush=True))
    try:
        cluster = in_cluster_config(local.kubeconfig)
        client = KubeClient(cluster, pool_size=32)
        start = time.perf_counter()
        _populate(client, args.objects)
        print(f"created {args.objects} ConfigMaps in {time.perf_counter() - start:.2f}s")
        fills = [_fill(cluster, args.objects)[0] for _ in range(3)]
        runs = ", ".join(f"{f * 1000:.0f}" for f in fills)
        print(
            f"fill cache (discovery + list/watch of every kind, {args.objects} ConfigMaps): "
            f"median {statistics.median(fills) * 1000:.0f} ms (runs: {runs})"
        )
        size, objects = _memory(cluster)
        per_object = size / max(1, objects)
        print(
            f"memory: {size / 1024 / 1024:.1f} MiB for {objects} cached objects ({per_object:.0f} B/object)"
        )
        req, resp = _latency(cluster, client, args.updates)

        def ms(values: list[float], p: float) -> str:
            return f"{_percentile(values, p) * 1000:.1f} ms"

        print(
            f"watch latency over {args.updates} updates: request-start->callback p50 {ms(req, 50)} "
            f"p99 {ms(req, 99)}; response->callback p50 {ms(resp, 50)} p99 {ms(resp, 99)}"
        )
        client.close()
    finally:
        local.down()


if __name__ == "__main__":
    main()
