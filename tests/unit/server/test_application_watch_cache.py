"""The server's application cache: the watch feeds it, writes of the server are read back at once,
and a subscriber gets the current state or exactly what it missed, then every change."""

from __future__ import annotations

from typing import Any

from argosy.server.appcache import ApplicationCache, version_newer


class _Watcher:
    """Stands in for the KindWatcher thread: the tests call the sink methods it would call."""

    resource_version = ""


def _app(name: str, version: int, phase: str = "Synced") -> dict[str, Any]:
    meta = {"name": name, "resourceVersion": str(version)}
    return {"metadata": meta, "status": {"sync": {"status": phase}}}


def _cache(*apps: dict[str, Any], version: int = 10) -> tuple[ApplicationCache, Any]:
    cache = ApplicationCache(client=None, namespace="argocd")  # type: ignore[arg-type]
    watcher: Any = _Watcher()
    cache.replace(watcher, list(apps))
    watcher.resource_version = str(version)
    cache.healthy(watcher)
    return cache, watcher


def _names(cache: ApplicationCache) -> list[str]:
    return [a["metadata"]["name"] for a in cache.snapshot().items]


def test_versions_compare_as_integers() -> None:
    assert version_newer("10", "9") and not version_newer("9", "10") and not version_newer("9", "9")
    assert version_newer("opaque-b", "opaque-a")


def test_watch_events_and_relists_keep_the_snapshot_current_and_sorted() -> None:
    cache, watcher = _cache(_app("b", 2), _app("a", 1))
    assert _names(cache) == ["a", "b"] and cache.snapshot().resource_version == "10"
    cache.event(watcher, "ADDED", _app("c", 11))
    cache.event(watcher, "DELETED", _app("a", 12))
    assert _names(cache) == ["b", "c"] and cache.snapshot().resource_version == "12"
    cache.replace(watcher, [_app("c", 11), _app("d", 13)])  # a relist after 410 Gone
    assert _names(cache) == ["c", "d"]


def test_the_servers_own_write_is_read_back_before_the_watch_brings_it() -> None:
    cache, watcher = _cache(_app("a", 1))
    got: list[tuple[str, str]] = []
    cache.subscribe(lambda t, a: got.append((t, a["metadata"]["resourceVersion"])), since="10")
    cache.observe(_app("a", 20, "OutOfSync"))
    assert cache.snapshot().items[0]["status"]["sync"]["status"] == "OutOfSync"
    cache.event(watcher, "MODIFIED", _app("a", 20, "OutOfSync"))  # the same write, via the watch
    cache.observe(_app("a", 15))  # an older copy never replaces a newer one
    assert got == [("MODIFIED", "20")]
    assert cache.snapshot().items[0]["metadata"]["resourceVersion"] == "20"
    cache.forget("a")
    assert _names(cache) == [] and got[-1][0] == "DELETED"


def test_a_new_subscriber_gets_everything_then_changes() -> None:
    cache, watcher = _cache(_app("a", 1), _app("b", 2))
    got: list[tuple[str, str]] = []
    unsubscribe = cache.subscribe(lambda t, a: got.append((t, a["metadata"]["name"])))
    cache.event(watcher, "MODIFIED", _app("b", 11))
    unsubscribe()
    cache.event(watcher, "MODIFIED", _app("a", 12))
    assert got == [("ADDED", "a"), ("ADDED", "b"), ("MODIFIED", "b")]


def test_a_reconnecting_subscriber_gets_only_what_it_missed() -> None:
    cache, watcher = _cache(_app("a", 1), _app("b", 2))
    cache.event(watcher, "MODIFIED", _app("a", 11))
    cache.event(watcher, "DELETED", _app("b", 12))
    got: list[tuple[str, str]] = []
    cache.subscribe(lambda t, a: got.append((t, a["metadata"]["name"])), since="11")
    assert got == [("DELETED", "b")]
    current: list[str] = []
    cache.subscribe(lambda t, a: current.append(t), since="12")
    assert current == []
