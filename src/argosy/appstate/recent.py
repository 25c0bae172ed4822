"""The last render of each application, reused when only live objects changed.

A sync creates objects, their controllers create more (ReplicaSets, Pods) and
every status change of those is a watch event that re-queues the owning app.
Each such reconcile must compare again — that is how drift shows within a
second — but it need not ask the repo server again: the app's sources did not
change, and the periodic refresh (``timeout.reconciliation``) still renders at
least once per period. Without this, a fleet's first sync costs a render
request per Pod status change.

Reuse is safe only when nothing that shapes the render changed: the
fingerprint covers the app's spec and its refresh annotation; the caller
(the controller) asks for reuse only for reconciles triggered solely by live
changes, and every app, settings, project or Secret change forces a render.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from typing import Any

from argosy.repo import RenderResult

Obj = dict[str, Any]


def fingerprint(app: Obj) -> str:
    """What shapes an app's render, as a digest: its spec (sources, destination, project...)."""
    text = json.dumps(app.get("spec") or {}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class RecentRenders:
    """Thread-safe map of app key -> (fingerprint, when, render result)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._items: dict[str, tuple[str, float, RenderResult]] = {}
        self._lock = threading.Lock()
        self.reused = 0

    def get(self, key: str, app: Obj, within: float) -> RenderResult | None:
        if within <= 0:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != fingerprint(app) or self._clock() - item[1] >= within:
                return None
            self.reused += 1
            return item[2]

    def put(self, key: str, app: Obj, result: RenderResult) -> None:
        with self._lock:
            self._items[key] = (fingerprint(app), self._clock(), result)

    def forget(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
