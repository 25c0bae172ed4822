"""Resource trees shared by the streams that watch the same application.

A resource-tree stream (``GET /api/v1/stream/applications/{name}/resource-tree``)
recomputes its tree when the Application changes and every few seconds, because
ReplicaSets and Pods change without the Application changing. Each computation
lists Pods, ReplicaSets and Jobs in the destination: ten browser tabs on one app
would list them ten times per tick. Here the streams of one application share its
last tree instead: a tree computed from the same inputs (the parts of the
Application the tree is made of) less than ``max_age`` seconds ago is reused, and
while one stream computes it, the others wait for that answer instead of computing
it again. So the cost per app is at most one computation per ``max_age`` plus one
per change of its inputs, however many clients watch it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")
Key = tuple[str, str]
"""(namespace, name) of the Application."""


@dataclass
class _Entry(Generic[T]):
    touched: float
    inputs: str = ""
    computed: float = 0.0
    value: T | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class SharedTrees(Generic[T]):
    """The last value computed per application, reused for ``max_age`` seconds; thread-safe.

    Entries nobody asked for in ``forget_after`` seconds are dropped, so closed streams
    leave nothing behind.
    """

    def __init__(
        self, max_age: float, forget_after: float = 120.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_age = max_age
        self.forget_after = forget_after
        self.clock = clock
        self._entries: dict[Key, _Entry[T]] = {}
        self._lock = threading.Lock()

    def get(self, key: Key, inputs: str, compute: Callable[[], T]) -> T:
        """The value for ``key`` computed from ``inputs``: reused while fresh, else computed (once,
        while concurrent callers for the same key wait for it)."""
        with self._lock:
            now = self.clock()
            self._drop_stale(now)
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry(touched=now)
            entry.touched = now
        with entry.lock:
            fresh = self.clock() - entry.computed < self.max_age
            if entry.value is not None and entry.inputs == inputs and fresh:
                return entry.value
            value = compute()
            entry.inputs, entry.computed, entry.value = inputs, self.clock(), value
            return value

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def _drop_stale(self, now: float) -> None:
        """Forget entries unused for ``forget_after`` (the lock is held)."""
        stale = [k for k, e in self._entries.items() if now - e.touched > self.forget_after]
        for key in stale:
            del self._entries[key]
