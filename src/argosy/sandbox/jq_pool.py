"""A small pool of jq worker processes with a per-expression time limit.

Every comparison of an object that an ignoreDifferences rule with
``jqPathExpressions`` matches runs jq, so the pool is built for many small
requests: workers live long (no start-up per request), each request carries
all the expressions of one rule for one object, and results are cached by
(expressions, object digest), so an unchanged object costs a hash and a copy
on later compares. A worker whose expression has not finished within the
timeout (Argo CD's ``controller.ignore.normalizer.jq.timeout``, 1 s by
default) is SIGKILLed and replaced by a fresh one on next use; the caller gets
:class:`~argosy.engine.diff.JqLimitError` naming the expression, and the same
expression on the same object fails at once for a while instead of costing
the timeout again on every reconcile. Memory is capped per worker
(``RLIMIT_AS``); a worker that dies of it is reported the same way.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import queue
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import orjson

from argosy.engine.jqpaths import JqLimitError
from argosy.sandbox.jq_worker import HEADER

DEFAULT_TIMEOUT_SECONDS = 1.0
DEFAULT_WORKERS = 2
DEFAULT_MEMORY_BYTES = 512 * 1024 * 1024
_CACHE_ENTRIES = 4096
_CACHE_MAX_OBJECT = 256 * 1024
_FAILURE_MEMORY_SECONDS = 300.0
_START_SECONDS = 60.0


class _Worker:
    """One worker process and its pipes; used by one thread at a time."""

    def __init__(self, memory_bytes: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "argosy.sandbox.jq_worker", str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin = self.proc.stdin
        self.out_fd = self.proc.stdout.fileno()
        self.buffer = b""
        try:
            ready = self.receive(time.monotonic() + _START_SECONDS)
        except EOFError:
            ready = None
        if ready is None or ready[0] != b"O":
            self.kill()
            raise OSError(f"the jq worker process did not start within {_START_SECONDS:g} s")

    def send(self, expressions: bytes, doc: bytes) -> None:
        self.stdin.write(HEADER.pack(b"E", len(expressions)) + expressions)
        self.stdin.write(HEADER.pack(b"D", len(doc)) + doc)
        self.stdin.flush()

    def receive(self, deadline: float) -> tuple[bytes, bytes] | None:
        """The next frame, or None when the deadline passed first; EOFError when the worker died."""
        while True:
            if len(self.buffer) >= HEADER.size:
                kind, length = HEADER.unpack(self.buffer[: HEADER.size])
                end = HEADER.size + length
                if len(self.buffer) >= end:
                    payload = self.buffer[HEADER.size : end]
                    self.buffer = self.buffer[end:]
                    return kind, payload
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.out_fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.out_fd, 1 << 16)
            if not chunk:
                raise EOFError
            self.buffer += chunk

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):  # unflushed input to a dead process
                    stream.close()


class JqPool:
    """Runs jq expressions in worker processes; thread-safe; workers start on first use."""

    def __init__(self, size: int = DEFAULT_WORKERS, memory_bytes: int = DEFAULT_MEMORY_BYTES) -> None:
        self.size = size
        self.memory_bytes = memory_bytes
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._started = 0
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[tuple[str, ...], bytes], bytes] = OrderedDict()
        self._failed: dict[tuple[str, bytes], tuple[float, str]] = {}
        self.replaced = 0  # workers killed and replaced (timeouts, deaths): for tests and metrics
        self.hits = 0  # requests answered from the cache

    # ----------------------------------------------------------- workers
    def _take(self) -> _Worker:
        """An idle worker, or a new one while fewer than ``size`` run; waits otherwise (a
        worker killed meanwhile frees its place, so waiting re-checks)."""
        while True:
            with self._lock:
                try:
                    return self._idle.get_nowait()
                except queue.Empty:
                    start = self._started < self.size
                    if start:
                        self._started += 1
            if start:
                try:
                    return _Worker(self.memory_bytes)
                except OSError:
                    with self._lock:
                        self._started -= 1
                    raise
            try:
                return self._idle.get(timeout=0.05)
            except queue.Empty:
                continue

    def _give_back(self, worker: _Worker) -> None:
        self._idle.put(worker)

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._started -= 1
            self.replaced += 1

    def close(self) -> None:
        """Stop the idle workers (at exit; busy ones are killed by their parent's death)."""
        while not self._idle.empty():
            self._discard(self._idle.get_nowait())

    # ----------------------------------------------------------- cache
    def _cached(self, key: tuple[tuple[str, ...], bytes]) -> bytes | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                self.hits += 1
            return hit

    def _remember(self, key: tuple[tuple[str, ...], bytes], result: bytes) -> None:
        with self._lock:
            self._cache[key] = result
            if len(self._cache) > _CACHE_ENTRIES:
                self._cache.popitem(last=False)

    def _known_failure(self, expressions: Sequence[str], digest: bytes) -> JqLimitError | None:
        now = time.monotonic()
        with self._lock:
            for expression in expressions:
                seen = self._failed.get((expression, digest))
                if seen is not None and now - seen[0] < _FAILURE_MEMORY_SECONDS:
                    return JqLimitError(expression, seen[1])
        return None

    def _fail(self, expression: str, digest: bytes, reason: str) -> JqLimitError:
        with self._lock:
            if len(self._failed) > _CACHE_ENTRIES:
                self._failed.clear()
            self._failed[(expression, digest)] = (time.monotonic(), reason)
        return JqLimitError(expression, reason)

    # ----------------------------------------------------------- requests
    def run(self, expressions: Sequence[str], doc: dict[str, Any], timeout: float) -> dict[str, Any]:
        """``del(e)`` of each expression in turn on ``doc``; each may take ``timeout`` seconds."""
        body = orjson.dumps(doc, default=str, option=orjson.OPT_NON_STR_KEYS)
        digest = hashlib.blake2b(body, digest_size=16).digest()
        key = (tuple(expressions), digest)
        hit = self._cached(key)
        if hit is not None:
            result: dict[str, Any] = orjson.loads(hit)
            return result
        failure = self._known_failure(expressions, digest)
        if failure is not None:
            raise failure
        for attempt in (1, 2):
            try:
                worker = self._take()
            except OSError as exc:
                raise JqLimitError(expressions[0], f"could not run: {exc}") from exc
            try:
                payload = self._request(worker, expressions, body, digest, timeout)
            except _WorkerGone:
                # It died between requests (killed from outside): not the expressions' fault.
                self._discard(worker)
                if attempt == 1:
                    continue
                raise JqLimitError(
                    expressions[0], "could not run: the jq worker processes keep dying"
                ) from None
            except BaseException:
                self._discard(worker)
                raise
            self._give_back(worker)
            if len(payload) <= _CACHE_MAX_OBJECT:
                self._remember(key, payload)
            result = orjson.loads(payload)
            return result
        raise AssertionError("unreachable")

    def _request(
        self, worker: _Worker, expressions: Sequence[str], body: bytes, digest: bytes, timeout: float
    ) -> bytes:
        """The result frame's payload; raises JqLimitError, or _WorkerGone before any expression ran."""
        current = -1
        try:
            worker.send(orjson.dumps(list(expressions)), body)
            deadline = time.monotonic() + timeout
            while True:
                frame = worker.receive(deadline)
                if frame is None:
                    culprit = expressions[max(current, 0)]
                    raise self._fail(culprit, digest, f"did not finish within {timeout:g} s")
                kind, payload = frame
                if kind == b"S":
                    current = int(payload)
                    deadline = time.monotonic() + timeout
                elif kind == b"M":
                    raise self._fail(expressions[int(payload)], digest, _memory_reason(self.memory_bytes))
                else:
                    return payload
        except (EOFError, BrokenPipeError):
            if current < 0:
                raise _WorkerGone from None
            raise self._fail(expressions[current], digest, _memory_reason(self.memory_bytes)) from None


class _WorkerGone(Exception):
    """The worker was dead before it started on a request."""


def _memory_reason(memory_bytes: int) -> str:
    return f"stopped: its jq process exceeded the memory limit of {memory_bytes // (1024 * 1024)} MiB"


class BoundedJq:
    """The engine's :class:`~argosy.engine.diff.JqRunner` on a pool, with one timeout."""

    def __init__(self, pool: JqPool, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.pool = pool
        self.timeout = timeout

    def delete_paths(self, expressions: Sequence[str], doc: dict[str, Any]) -> dict[str, Any]:
        return self.pool.run(expressions, doc, self.timeout)


_shared: JqPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> JqPool:
    """The process's pool (one per process, like a thread pool; workers start on first use)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = JqPool()
            atexit.register(_shared.close)
        return _shared


def bounded_jq(timeout: float = DEFAULT_TIMEOUT_SECONDS) -> BoundedJq:
    """The runner services inject into ``DiffConfig``: the shared pool with ``timeout``."""
    return BoundedJq(shared_pool(), timeout)
