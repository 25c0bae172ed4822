"""One list+watch loop for one kind (optionally in one namespace) of one cluster.

The loop is the classic informer: list (paginated) to get a consistent
snapshot and its resourceVersion, then watch from that version with
``allowWatchBookmarks`` so the version keeps moving on quiet kinds; when the
server closes the watch (``timeoutSeconds``) it resumes from the last version
seen; when the version is too old (``410 Gone``, as an HTTP status or an
``ERROR`` event) it lists again and reports the differences; on any other
error it waits with exponential backoff and jitter, and tells its owner the
cluster is failing (objects already known stay: an unreachable cluster never
looks empty).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from argosy.kube.clients import KubeClient, WatchStream
from argosy.kube.discovery import ApiResource
from argosy.kube.errors import KubeApiError, KubeError, api_error_from_status

LIST_PAGE_SIZE = 500
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Delays between failed attempts: initial * factor^n, capped, with +-20 % jitter."""

    initial: float = 0.5
    factor: float = 2.0
    cap: float = 15.0

    def delay(self, attempt: int) -> float:
        base = min(self.cap, self.initial * self.factor ** max(0, attempt))
        return base * random.uniform(0.8, 1.2)


class WatchSink:
    """What a watcher reports to (the cluster cache implements it)."""

    def replace(self, watcher: KindWatcher, objects: list[dict[str, Any]]) -> None:
        raise NotImplementedError

    def event(self, watcher: KindWatcher, kind: str, obj: dict[str, Any]) -> None:
        raise NotImplementedError

    def healthy(self, watcher: KindWatcher) -> None:
        raise NotImplementedError

    def failed(self, watcher: KindWatcher, error: KubeError) -> None:
        raise NotImplementedError


class KindWatcher:
    """Keeps one kind in sync; runs in its own daemon thread until ``stop()``."""

    def __init__(
        self,
        client: KubeClient,
        resource: ApiResource,
        sink: WatchSink,
        *,
        namespace: str = "",
        backoff: Backoff | None = None,
        watch_timeout_seconds: int = 300,
        stop_event: threading.Event | None = None,
    ) -> None:
        self.client = client
        self.resource = resource
        self.namespace = namespace
        self.sink = sink
        self.backoff = backoff or Backoff()
        self.watch_timeout_seconds = watch_timeout_seconds
        self.synced = threading.Event()
        self.resource_version = ""
        self.relists = 0
        self._stop = threading.Event()
        self._retry = threading.Event()
        self._cluster_stop = stop_event
        self._stream: WatchStream | None = None
        self._lock = threading.Lock()
        where = f"/{namespace}" if namespace else ""
        self.name = f"watch {resource.kind}.{resource.group or 'core'}{where} @ {client.cluster.display_name}"
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    @property
    def group_kind(self) -> tuple[str, str]:
        return self.resource.group_kind

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()

    def interrupt(self) -> None:
        """End the open watch, if any; the loop opens a new one from the last resourceVersion.

        The cache calls it when its probe finds the server unreachable: a watch on a
        black-holed connection would otherwise wait out its whole read timeout."""
        with self._lock:
            stream = self._stream
        if stream is not None:
            stream.close()

    def join(self, timeout: float) -> None:
        if self._thread.is_alive():
            self._thread.join(timeout)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set() or (self._cluster_stop is not None and self._cluster_stop.is_set())

    def _wait(self, seconds: float) -> None:
        """Back off for ``seconds``, or less when stopped or told to retry now."""
        deadline = time.monotonic() + seconds
        while not self.stopped and not self._retry.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            self._retry.wait(min(left, 0.5))
        self._retry.clear()

    def retry_now(self) -> None:
        """End a backoff wait: the server answers again (the cache's probe says so), so the
        watch need not sit out up to ``Backoff.cap`` seconds after the cluster is back."""
        self._retry.set()

    # ----------------------------------------------------------------- loop
    def _run(self) -> None:
        attempt = 0
        while not self.stopped:
            try:
                if not self.resource_version:
                    self._list()
                    self.sink.healthy(self)
                    attempt = 0
                opened = time.monotonic()
                if self._watch_once() or time.monotonic() - opened > 1.0:
                    attempt = 0
                else:
                    # The server ended an empty watch at once (shutting down?): do not spin.
                    self._wait(self.backoff.delay(attempt))
                    attempt += 1
            except KubeApiError as exc:
                if exc.gone:
                    log.info("%s: resource version expired (410 Gone); listing again", self.name)
                    self.resource_version = ""
                    continue
                if self.stopped:
                    break
                self._failed(exc, attempt)
                attempt += 1
            except KubeError as exc:
                if self.stopped:
                    break
                self._failed(exc, attempt)
                attempt += 1
            except ValueError as exc:  # a truncated or garbled event: start over from a fresh list
                if self.stopped:
                    break
                self._start_over(f"bad watch data ({exc})", attempt)
                attempt += 1
            except Exception as exc:  # a bug must not end the watch for good: say it, list again
                if self.stopped:
                    break
                log.exception("%s: unexpected error; listing again", self.name)
                self._start_over(f"unexpected error ({exc!r})", attempt)
                attempt += 1

    def _start_over(self, why: str, attempt: int) -> None:
        """Report the failure, forget the version (the next round lists afresh), back off."""
        self.sink.failed(self, KubeError(self.client.name, f"{self.name}: {why}"))
        self.resource_version = ""
        self._wait(self.backoff.delay(attempt))

    def _failed(self, exc: KubeError, attempt: int) -> None:
        delay = self.backoff.delay(attempt)
        log.warning("%s failed: %s; watch restarts in %.1fs", self.name, exc, delay)
        self.sink.failed(self, exc)
        self._wait(delay)

    def _list(self) -> None:
        path = self.resource.path(self.namespace)
        items: list[dict[str, Any]] = []
        cont = ""
        version = ""
        while True:
            query: dict[str, Any] = {"limit": LIST_PAGE_SIZE}
            if cont:
                query["continue"] = cont
            body = self.client.request(
                "GET", path, query=query, timeout=60.0, verb="list", kind=self.resource.kind
            )
            meta = (body or {}).get("metadata") or {}
            api_version = self.resource.api_version
            for item in (body or {}).get("items") or ():
                # Lists omit apiVersion/kind on items; the cache keys on them.
                item["apiVersion"] = api_version
                item["kind"] = self.resource.kind
                items.append(item)
            version = str(meta.get("resourceVersion") or "")
            cont = str(meta.get("continue") or "")
            if not cont:
                break
        self.sink.replace(self, items)
        self.resource_version = version
        self.relists += 1
        self.synced.set()

    def _watch_once(self) -> bool:
        """Watch until the server ends the stream (normally after ``timeoutSeconds``);
        True when at least one event (bookmarks included) arrived."""
        query = {
            "resourceVersion": self.resource_version,
            "allowWatchBookmarks": "true",
            "timeoutSeconds": self.watch_timeout_seconds,
        }
        stream = self.client.watch(
            self.resource.path(self.namespace),
            query,
            timeout=self.watch_timeout_seconds + 30,
            kind=self.resource.kind,
        )
        with self._lock:
            self._stream = stream
        if self.stopped:
            stream.close()
            return False
        self.sink.healthy(self)
        received = False
        try:
            for event in stream:
                received = True
                kind = event.get("type")
                obj = event.get("object") or {}
                if kind == "ERROR":
                    code = int(obj.get("code") or 0)
                    raise api_error_from_status(self.client.name, code, str(obj.get("reason") or ""), obj)
                version = str((obj.get("metadata") or {}).get("resourceVersion") or "")
                if kind in ("ADDED", "MODIFIED", "DELETED"):
                    self.sink.event(self, str(kind), obj)
                if version:
                    self.resource_version = version
        finally:
            with self._lock:
                self._stream = None
            stream.close()
        return received


WatcherFactory = Callable[[ApiResource, str], KindWatcher]
