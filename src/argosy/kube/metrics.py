"""Request accounting for ``argocd_app_k8s_request_total``.

Every request Argosy makes to a cluster goes through one client, which calls a
hook with a :class:`RequestEvent`; the server registers a hook that increments
its Prometheus counter. :class:`RequestCounts` is a ready-made in-memory hook
for tests, benchmarks and ``argosy cluster get``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestEvent:
    """One request, labelled as Argo CD labels ``argocd_app_k8s_request_total``."""

    server: str
    verb: str
    resource_kind: str
    resource_namespace: str
    response_code: int
    dry_run: bool = False


RequestHook = Callable[[RequestEvent], None]


class RequestCounts:
    """Thread-safe counter of requests by event labels."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[RequestEvent] = Counter()

    def __call__(self, event: RequestEvent) -> None:
        with self._lock:
            self._counts[event] += 1

    def snapshot(self) -> dict[RequestEvent, int]:
        with self._lock:
            return dict(self._counts)

    def total(self, **labels: object) -> int:
        """Requests whose labels equal every given label (e.g. ``verb="watch"``)."""
        with self._lock:
            return sum(
                n for e, n in self._counts.items() if all(getattr(e, k) == v for k, v in labels.items())
            )
