"""A de-duplicating, delay-capable, rate-limited work queue of app keys.

Many events about one app (its spec changed, five of its Pods changed, the
periodic refresh fired) collapse into one pending reconcile; a key being
processed is never handed to a second worker at the same time (it is marked
dirty and re-queued when the first finishes). Failures back off per key
exponentially, so one broken app cannot starve the others. This mirrors
client-go's workqueue, which Argo CD's controller is built on.

A key has at most **one** delayed entry: asking again keeps the earlier due
time (client-go's delaying queue does the same). Without this every reconcile
that re-arms its periodic refresh would add one more timer, and a quiet fleet
would re-render itself several times per cycle.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import deque
from collections.abc import Callable


class WorkQueue:
    """Thread-safe queue of string keys with ``add``, ``add_after``, ``get``, ``done``."""

    def __init__(
        self,
        base_delay: float = 0.005,
        max_delay: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cond = threading.Condition()
        self._queue: deque[str] = deque()
        self._queued: set[str] = set()
        self._processing: set[str] = set()
        self._dirty: set[str] = set()
        self._delayed: list[tuple[float, int, str]] = []
        self._due: dict[str, float] = {}  # the one live delayed entry per key
        self._failures: dict[str, int] = {}
        self._base, self._max = base_delay, max_delay
        self._clock = clock
        self._seq = 0
        self._shutdown = False

    def add(self, key: str) -> None:
        with self._cond:
            if self._shutdown:
                return
            if key in self._processing:
                self._dirty.add(key)
                return
            if key not in self._queued:
                self._queued.add(key)
                self._queue.append(key)
                self._cond.notify()

    def add_after(self, key: str, delay: float) -> None:
        if delay <= 0:
            self.add(key)
            return
        with self._cond:
            if self._shutdown:
                return
            due = self._clock() + delay
            current = self._due.get(key)
            if current is not None and current <= due:
                return  # already due earlier: one timer per key
            self._due[key] = due
            self._seq += 1
            heapq.heappush(self._delayed, (due, self._seq, key))
            self._cond.notify()

    def add_rate_limited(self, key: str) -> float:
        """Re-queue after a failure with per-key exponential backoff; returns the delay."""
        with self._cond:
            n = self._failures.get(key, 0)
            self._failures[key] = n + 1
        delay: float = min(self._base * 2.0**n, self._max)
        self.add_after(key, delay)
        return delay

    def forget(self, key: str) -> None:
        """Reset the key's failure count after a success."""
        with self._cond:
            self._failures.pop(key, None)

    def _promote_due(self) -> float | None:
        """Move due delayed keys into the queue; return seconds until the next one."""
        now = self._clock()
        while self._delayed and self._delayed[0][0] <= now:
            due, _, key = heapq.heappop(self._delayed)
            if self._due.get(key) != due:
                continue  # superseded by an earlier due time
            del self._due[key]
            if key in self._processing:
                self._dirty.add(key)
            elif key not in self._queued:
                self._queued.add(key)
                self._queue.append(key)
        return float(self._delayed[0][0] - now) if self._delayed else None

    def get(self, timeout: float | None = None) -> str | None:
        """The next key to process (None on shutdown or timeout); call :meth:`done` after."""
        deadline = None if timeout is None else self._clock() + timeout
        with self._cond:
            while True:
                wait = self._promote_due()
                if self._queue:
                    key = self._queue.popleft()
                    self._queued.discard(key)
                    self._processing.add(key)
                    return key
                if self._shutdown:
                    return None
                if deadline is not None:
                    remaining = deadline - self._clock()
                    if remaining <= 0:
                        return None
                    wait = remaining if wait is None else min(wait, remaining)
                self._cond.wait(wait)

    def done(self, key: str) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._dirty.discard(key)
                if key not in self._queued:
                    self._queued.add(key)
                    self._queue.append(key)
                    self._cond.notify()

    def __len__(self) -> int:
        with self._cond:
            return len(self._queue)

    def delayed(self) -> int:
        """Keys waiting for a due time (at most one entry each), for metrics and tests."""
        with self._cond:
            return len(self._due)

    def processing(self) -> int:
        """Keys handed to a worker and not yet done."""
        with self._cond:
            return len(self._processing)

    def shutdown(self) -> None:
        with self._cond:
            self._shutdown = True
            self._cond.notify_all()
