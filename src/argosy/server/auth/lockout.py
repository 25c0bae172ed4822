"""Failed-login throttling per user name, with Argo CD's knobs.

After ``max_failures`` failed logins (``ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT``,
default 5) within ``window_seconds`` of the last failure
(``ARGOCD_SESSION_FAILURE_WINDOW_SECONDS``, default 300; 0 means forever), every
login for that name is refused, even with the right password, until the
window has passed. A success resets the count. The table is bounded
(``ARGOCD_SESSION_MAX_CACHE_SIZE``); when full, a random entry other than
``admin`` and the current user is dropped, so flooding made-up names cannot
reset the admin's counter.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

ENV_MAX_FAIL_COUNT = "ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT"
ENV_WINDOW_SECONDS = "ARGOCD_SESSION_FAILURE_WINDOW_SECONDS"
ENV_MAX_CACHE_SIZE = "ARGOCD_SESSION_MAX_CACHE_SIZE"
DEFAULT_MAX_FAILURES = 5
DEFAULT_WINDOW_SECONDS = 300
DEFAULT_MAX_CACHE_SIZE = 10000
ADMIN = "admin"


def _env_int(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw)
    except ValueError:
        return default
    return value if value >= minimum else default


@dataclass
class Attempts:
    fail_count: int = 0
    last_failed: float = 0.0


class LoginThrottle:
    """Counts failures per user name and answers whether the name is locked out now."""

    def __init__(
        self,
        max_failures: int | None = None,
        window_seconds: int | None = None,
        max_cache_size: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures or _env_int(ENV_MAX_FAIL_COUNT, DEFAULT_MAX_FAILURES, 1)
        self.window_seconds = (
            window_seconds
            if window_seconds is not None
            else _env_int(ENV_WINDOW_SECONDS, DEFAULT_WINDOW_SECONDS, 0)
        )
        self.max_cache_size = max_cache_size or _env_int(ENV_MAX_CACHE_SIZE, DEFAULT_MAX_CACHE_SIZE, 1)
        self._clock = clock
        self._lock = threading.Lock()
        self._attempts: dict[str, Attempts] = {}

    def _in_window(self, attempt: Attempts) -> bool:
        return self.window_seconds == 0 or self._clock() - attempt.last_failed <= self.window_seconds

    def locked_out(self, username: str) -> bool:
        with self._lock:
            attempt = self._attempts.get(username)
            return bool(attempt and attempt.fail_count >= self.max_failures and self._in_window(attempt))

    def failures(self, username: str) -> int:
        with self._lock:
            attempt = self._attempts.get(username)
            return attempt.fail_count if attempt else 0

    def record(self, username: str, *, failed: bool) -> None:
        with self._lock:
            if self.window_seconds > 0:
                for name in [n for n, a in self._attempts.items() if not self._in_window(a)]:
                    del self._attempts[name]
            if not failed:
                self._attempts.pop(username, None)
                return
            if username not in self._attempts and len(self._attempts) >= self.max_cache_size:
                victims = [n for n in self._attempts if n not in (ADMIN, username)]
                if victims:
                    del self._attempts[random.choice(victims)]
            attempt = self._attempts.setdefault(username, Attempts())
            attempt.fail_count += 1
            attempt.last_failed = self._clock()
