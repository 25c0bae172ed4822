"""A watch whose connection breaks mid-stream (the API server killed or restarted, a reset, a
read timeout) is an unreachable cluster, not the end of the watch: the watcher reports it and
watches again. Before, urllib3's raw ``ProtocolError`` left the watcher's thread and the kind
was never watched again (a cache that silently went stale)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from argosy.kube.clients import LineStream, WatchStream
from argosy.kube.discovery import ApiResource
from argosy.kube.errors import ClusterUnreachable, KubeError
from argosy.kube.watcher import Backoff, KindWatcher, WatchSink

CONFIGMAPS = ApiResource("", "v1", "ConfigMap", "configmaps", True, frozenset({"list", "watch"}))


class BreakingResponse:
    """A urllib3 response that sends ``chunks`` and then breaks like a killed server's."""

    def __init__(self, *chunks: bytes, error: Exception | None = None) -> None:
        self.chunks = chunks
        self.error = error or urllib3.exceptions.ProtocolError("Connection broken: IncompleteRead")

    def stream(self, amt: Any = None, decode_content: bool = False) -> Iterator[bytes]:
        yield from self.chunks
        raise self.error

    def shutdown(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


def test_a_broken_stream_raises_cluster_unreachable_naming_the_cluster() -> None:
    stream = LineStream(BreakingResponse(b"one\ntw"), "cluster 'east' (https://east:6443)")
    lines: list[bytes] = []
    with pytest.raises(ClusterUnreachable) as caught:
        lines.extend(stream.lines())
    assert lines == [b"one"]
    assert "east" in str(caught.value) and "IncompleteRead" in str(caught.value)


def test_a_stream_closed_by_its_reader_ends_quietly() -> None:
    stream = LineStream(BreakingResponse(b"one\n", error=OSError("shut down")), "east")
    stream.close()
    assert list(stream.lines()) == [b"one"]


class Sink(WatchSink):
    def __init__(self) -> None:
        self.failures: list[KubeError] = []
        self.events: list[str] = []
        self.second_watch = threading.Event()

    def replace(self, watcher: KindWatcher, objects: list[dict[str, Any]]) -> None:
        pass

    def event(self, watcher: KindWatcher, kind: str, obj: dict[str, Any]) -> None:
        self.events.append(obj["metadata"]["name"])

    def healthy(self, watcher: KindWatcher) -> None:
        pass

    def failed(self, watcher: KindWatcher, error: KubeError) -> None:
        self.failures.append(error)


class Cluster:
    display_name = "east"


class Client:
    """Lists nothing; the first watch breaks after one event, later ones stay quiet."""

    name = "cluster 'east'"
    cluster = Cluster()

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.watches = 0

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        return {"metadata": {"resourceVersion": "10"}, "items": []}

    def watch(self, path: str, query: Any, *, timeout: float, kind: str = "") -> WatchStream:
        self.watches += 1
        if self.watches == 1:
            event = b'{"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"11"}}}\n'
            return WatchStream(BreakingResponse(event), self.name)
        assert query["resourceVersion"] == "11", "the watch resumes from the last version seen"
        self.sink.second_watch.set()
        return WatchStream(BreakingResponse(error=OSError("closed")), self.name)


def test_the_watcher_reports_a_broken_stream_and_watches_again() -> None:
    sink = Sink()
    client = Client(sink)
    watcher = KindWatcher(client, CONFIGMAPS, sink, backoff=Backoff(initial=0.01, cap=0.01))  # type: ignore[arg-type]
    watcher.start()
    try:
        assert sink.second_watch.wait(10), "the watcher's thread ended with the broken stream"
    finally:
        watcher.stop()
        watcher.join(5)
    assert sink.events == ["a"]
    assert isinstance(sink.failures[0], ClusterUnreachable)
    assert "IncompleteRead" in str(sink.failures[0])
