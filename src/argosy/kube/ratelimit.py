"""Client-side rate limit to a Kubernetes API server: a token bucket (QPS + burst).

Argo CD's controller limits itself to 50 queries per second with a burst of
100 (``ARGOCD_K8S_CLIENT_QPS`` / ``ARGOCD_K8S_CLIENT_BURST``), as every client-go
program does. Without a limit, a thousand apps refreshed at once flood the API
server, which then answers 429 or times out for everyone, including kubectl.
Argosy reads the same variables (and ``argosy controller --kube-api-qps/--kube-api-burst``).

Each client has its own bucket, as each client-go client has its own limiter;
every worker and cache thread of a client shares it. The buckets are where Argo
CD's are: one per cluster cache (watches, lists, the comparisons' dry runs),
one for the control plane's Applications, one for its Events, and one for each
sync operation (Argo CD builds new clients per sync) — see
``KubeClient.with_own_limit``. A QPS of 0 or less disables the limit. Watches
take a token when they are opened, not per event.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_QPS = 50.0
DEFAULT_BURST = 100


@dataclass(frozen=True)
class RateLimit:
    """Queries per second and burst; ``qps <= 0`` means unlimited."""

    qps: float = DEFAULT_QPS
    burst: int = DEFAULT_BURST

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> RateLimit:
        """Argo CD's variables; a malformed value keeps the default (and says which)."""
        source = os.environ if env is None else env
        qps, burst = DEFAULT_QPS, DEFAULT_BURST
        raw_qps = source.get("ARGOCD_K8S_CLIENT_QPS", "").strip()
        raw_burst = source.get("ARGOCD_K8S_CLIENT_BURST", "").strip()
        try:
            if raw_qps:
                qps = float(raw_qps)
            if raw_burst:
                burst = int(raw_burst)
        except ValueError as exc:
            raise ValueError(
                f"ARGOCD_K8S_CLIENT_QPS={raw_qps!r} / ARGOCD_K8S_CLIENT_BURST={raw_burst!r}: "
                "expected a number (QPS) and an integer (burst)"
            ) from exc
        return cls(qps, max(1, burst))


class TokenBucket:
    """``take()`` blocks until a token is free; thread-safe; injectable clock for tests."""

    def __init__(
        self,
        limit: RateLimit,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self._clock, self._sleep = clock, sleep
        self._tokens = float(limit.burst)
        self._last = clock()
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, for metrics

    def _reserve(self) -> float:
        """Take a token now (possibly going negative) and return how long to wait for it."""
        with self._lock:
            now = self._clock()
            self._tokens = min(float(self.limit.burst), self._tokens + (now - self._last) * self.limit.qps)
            self._last = now
            self._tokens -= 1.0
            if self._tokens >= 0:
                return 0.0
            wait = -self._tokens / self.limit.qps
            self.waited += wait
            return wait

    def take(self) -> None:
        if self.limit.qps <= 0:
            return
        wait = self._reserve()
        if wait > 0:
            self._sleep(wait)


_default = RateLimit.from_env() if os.environ.get("ARGOCD_K8S_CLIENT_QPS", "").strip() else RateLimit()
_default_lock = threading.Lock()


def set_default(limit: RateLimit) -> None:
    """The limit of clients created from now on (set once by the process entry point)."""
    global _default
    with _default_lock:
        _default = limit


def default() -> RateLimit:
    with _default_lock:
        return _default
