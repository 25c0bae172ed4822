"""The live cache on a real API server: events within a second, exclusions, new CRDs,
hashed Secrets, and an API server outage that turns the status Failed and back."""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from argosy.engine.keys import ResourceKey
from argosy.kube.exclusions import ResourceFilter
from argosy.kube.livecache import ClusterCache, ConnectionStatus
from argosy.kube.watcher import Backoff
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle
from support.crds import WIDGET_CRD

#: A watch event arrives in well under a second on an idle machine; the bound only has to tell
#: a watch from a relist, so it leaves room for a busy one (speed is the benchmarks' job).
WATCH_LATENCY = 15.0

Change = tuple[ResourceKey, dict[str, Any] | None, dict[str, Any] | None]


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, explain: Callable[[], str] = str
) -> None:
    """Wait for a condition (checked every 20 ms) or fail naming it (and what ``explain`` says)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{explain()}")
        threading.Event().wait(0.02)


def cache_state(cache: ClusterCache) -> str:
    """The cache's status, what it counts as failing, and where each of its threads is: a
    recovery that does not come is then explained by the failure itself (which watch or probe
    still holds the status, and on which call it waits)."""
    status = cache.status()
    lines = [f"status {status.status.value}: {status.message}", f"failing: {sorted(cache._failing)}"]
    frames = sys._current_frames()
    for thread in threading.enumerate():
        if thread.name.startswith("watch ") or "cache" in thread.name.lower():
            frame = frames.get(thread.ident or -1)
            where = "".join(traceback.format_stack(frame, limit=6)) if frame else "(no frame)\n"
            lines.append(f"--- thread {thread.name!r}\n{where}")
    return "\n".join(lines)


class Changes:
    """Collects change callbacks so a test can wait for the one it expects."""

    def __init__(self) -> None:
        self.q: queue.Queue[tuple[float, Change]] = queue.Queue()

    def __call__(self, server: str, key: ResourceKey, old: Any, new: Any) -> None:
        self.q.put((time.monotonic(), (key, old, new)))

    def wait_for(self, match: Callable[[Change], bool], timeout: float) -> tuple[float, Change]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("expected change not seen in time")
            try:
                at, change = self.q.get(timeout=remaining)
            except queue.Empty:
                continue
            if match(change):
                return at, change


def _owner(obj: dict[str, Any]) -> str | None:
    value = ((obj.get("metadata") or {}).get("labels") or {}).get("app.kubernetes.io/instance")
    return value if isinstance(value, str) else None


@pytest.fixture
def make_cache(cluster: ClusterHandle) -> Iterator[Callable[..., ClusterCache]]:
    caches: list[ClusterCache] = []

    def make(handle: ClusterHandle = cluster, **kwargs: Any) -> ClusterCache:
        cache = ClusterCache(in_cluster_config(handle.kubeconfig), owner_of=_owner, **kwargs)
        cache.start()
        caches.append(cache)
        assert cache.wait_synced(30), cache.status()
        return cache

    yield make
    for c in caches:
        c.stop()


def test_configmap_create_update_delete_reach_subscribers_within_a_second(
    cluster: ClusterHandle, namespace: str, make_cache: Callable[..., ClusterCache]
) -> None:
    cache = make_cache()
    changes = Changes()
    cache.subscribe(changes)
    key = ResourceKey("", "ConfigMap", namespace, "web")
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "web", "namespace": namespace, "labels": {"app.kubernetes.io/instance": "shop"}},
        "data": {"mode": "blue"},
    }
    cluster.kubectl("create", "-f", "-", stdin=json.dumps(cm))
    done = time.monotonic()
    at, (_, old, new) = changes.wait_for(lambda c: c[0] == key and c[1] is None, timeout=WATCH_LATENCY)
    assert at - done < WATCH_LATENCY
    assert new is not None and new["data"] == {"mode": "blue"}
    assert set(cache.app_objects("shop")) == {key}
    assert cache.owner(key) == "shop"

    cluster.kubectl("patch", "configmap", "web", "-n", namespace, "-p", '{"data":{"mode":"green"}}')
    done = time.monotonic()
    at, (_, old, new) = changes.wait_for(
        lambda c: c[0] == key and c[1] is not None and c[2] is not None, WATCH_LATENCY
    )
    assert at - done < WATCH_LATENCY
    assert old is not None and old["data"] == {"mode": "blue"}
    assert new is not None and new["data"] == {"mode": "green"}
    assert cache.get(key) == new

    cluster.kubectl("delete", "configmap", "web", "-n", namespace)
    done = time.monotonic()
    at, (_, old, new) = changes.wait_for(lambda c: c[0] == key and c[2] is None, WATCH_LATENCY)
    assert at - done < WATCH_LATENCY
    assert cache.get(key) is None and cache.app_objects("shop") == {}
    status = cache.status()
    assert status.status is ConnectionStatus.SUCCESSFUL and status.server_version.startswith("v1.")
    assert status.objects_per_kind["Namespace"] >= 1 and status.last_sync is not None


def test_secret_values_are_hashed_not_kept_in_clear(
    cluster: ClusterHandle, namespace: str, make_cache: Callable[..., ClusterCache]
) -> None:
    cache = make_cache()
    clear = f"s3cret-{uuid.uuid4().hex}"
    cluster.kubectl("create", "secret", "generic", "db", "-n", namespace, f"--from-literal=password={clear}")
    key = ResourceKey("", "Secret", namespace, "db")
    wait_until(lambda: cache.get(key) is not None, 60, "the Secret in the cache")
    stored = cache.get(key)
    assert stored is not None
    assert stored["data"]["password"].startswith("sha256:")
    assert clear not in json.dumps(stored)
    assert "managedFields" not in stored["metadata"]  # only argosy-controller's are kept


def test_excluded_kinds_are_not_watched_and_a_filter_change_needs_no_restart(
    cluster: ClusterHandle, namespace: str, make_cache: Callable[..., ClusterCache]
) -> None:
    cluster.kubectl("create", "configmap", "present", "-n", namespace)
    only_cm = ResourceFilter.from_argocd_cm({"resource.exclusions": "- kinds: [ConfigMap]\n"})
    cache = make_cache(resource_filter=only_cm)
    assert not cache.is_watched("", "ConfigMap")
    assert cache.objects(kind="ConfigMap") == []
    assert not cache.is_watched("coordination.k8s.io", "Lease")  # core exclusion
    assert not cache.is_watched("", "Event")
    assert cache.is_watched("", "Secret")
    assert "ConfigMap" not in cache.status().objects_per_kind

    cache.set_filter(ResourceFilter())  # argocd-cm edited: ConfigMaps are back, Endpoints (default) are not
    key = ResourceKey("", "ConfigMap", namespace, "present")
    wait_until(lambda: cache.get(key) is not None, 60, "ConfigMaps to be watched after the filter change")
    assert not cache.is_watched("", "Endpoints")


def test_a_crd_created_after_start_is_discovered_and_watched(
    cluster: ClusterHandle, namespace: str, make_cache: Callable[..., ClusterCache]
) -> None:
    cache = make_cache()
    group = f"t{uuid.uuid4().hex[:8]}.argosy.test"
    assert not cache.is_watched(group, "Widget")
    cluster.kubectl("apply", "-f", "-", stdin=WIDGET_CRD.format(group=group))
    try:
        wait_until(lambda: cache.is_watched(group, "Widget"), 60, "the new kind to be watched")
        widget = {
            "apiVersion": f"{group}/v1",
            "kind": "Widget",
            "metadata": {"name": "w1", "namespace": namespace},
        }
        cluster.kubectl("apply", "-f", "-", stdin=json.dumps(widget))
        key = ResourceKey(group, "Widget", namespace, "w1")
        wait_until(lambda: cache.get(key) is not None, 60, "the custom object in the cache")
    finally:
        cluster.kubectl("delete", "crd", f"widgets.{group}", "--wait=true", check=False)
    wait_until(lambda: not cache.is_watched(group, "Widget"), 60, "the removed kind to be dropped")
    assert cache.get(key) is None


@pytest.mark.timeout(240)
def test_api_server_outage_turns_failed_then_recovers_and_resyncs(
    second_cluster: ClusterHandle, make_cache: Callable[..., ClusterCache]
) -> None:
    handle = second_cluster
    ns = f"t-{uuid.uuid4().hex[:8]}"
    handle.kubectl("create", "namespace", ns)
    handle.kubectl("create", "configmap", "before", "-n", ns)
    cache = make_cache(handle, backoff=Backoff(initial=0.2, cap=2.0))
    before = ResourceKey("", "ConfigMap", ns, "before")
    assert cache.get(before) is not None
    handle.cluster.stop_component("kube-apiserver")
    try:
        wait_until(lambda: cache.status().status is ConnectionStatus.FAILED, 60, "status Failed")
        status = cache.status()
        assert "unreachable" in status.message and handle.server.split("//")[1] in status.message
        assert cache.get(before) is not None  # an unreachable cluster never looks empty
    finally:
        handle.cluster.start_component("kube-apiserver")
    wait_until(
        lambda: cache.status().status is ConnectionStatus.SUCCESSFUL,
        60,
        "status Successful again",
        lambda: cache_state(cache),
    )
    handle.kubectl("create", "configmap", "after", "-n", ns)
    handle.kubectl("delete", "configmap", "before", "-n", ns)
    wait_until(lambda: cache.get(ResourceKey("", "ConfigMap", ns, "after")) is not None, 60, "new object")
    wait_until(lambda: cache.get(before) is None, 60, "deleted object gone")
    handle.kubectl("delete", "namespace", ns, "--wait=false")
