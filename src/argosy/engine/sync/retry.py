"""Retrying a failed sync: ``retry: {limit, backoff: {duration, factor, maxDuration}}``.

Set on the Application (``spec.syncPolicy.retry``) or on one sync request
(``operation.retry``). After the n-th failed attempt (n counted from 0, as
``status.operationState.retryCount``) the next attempt waits
``duration * factor^n``, at most ``maxDuration``: with Argo CD's defaults
(``5s``, ``2``, ``3m``) that is 5 s, 10 s, 20 s, 40 s, 80 s, 160 s, 3 m, 3 m...

``limit`` is the number of retries: 0 means none, a negative number means
retry forever. Durations are Go durations (``90s``, ``1m30s``, ``1.5h``,
``300ms``) or a bare number of seconds (``"30"``). An auto-sync without a
retry policy retries 5 times (Argo CD's default for automated syncs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from argosy.engine.durations import DurationError, parse_seconds
from argosy.engine.sync.common import Problem, error

DEFAULT_DURATION: Final = timedelta(seconds=5)
DEFAULT_FACTOR: Final = 2
DEFAULT_MAX_DURATION: Final = timedelta(minutes=3)
AUTOMATED_DEFAULT_LIMIT: Final = 5


@dataclass(frozen=True)
class RetryPolicy:
    limit: int = 0
    duration: timedelta = DEFAULT_DURATION
    factor: float = DEFAULT_FACTOR
    max_duration: timedelta = DEFAULT_MAX_DURATION

    def can_retry(self, retry_count: int) -> bool:
        """Whether a sync that failed after ``retry_count`` retries may be tried again."""
        return self.limit < 0 or retry_count < self.limit

    def delay(self, retry_count: int) -> timedelta:
        """How long to wait before the retry that follows ``retry_count`` earlier retries."""
        seconds = self.duration.total_seconds() * math.pow(self.factor, max(retry_count, 0))
        cap = self.max_duration.total_seconds()
        if cap > 0:
            seconds = min(seconds, cap)
        return timedelta(seconds=seconds)

    def next_retry_at(self, last_attempt: datetime, retry_count: int) -> datetime:
        return last_attempt + self.delay(retry_count)


def parse_retry(
    spec: Mapping[str, Any] | None, *, field: str = "spec.syncPolicy.retry", automated: bool = False
) -> tuple[RetryPolicy, list[Problem]]:
    """Read a ``retry`` block; a bad field keeps Argo CD's default for it and is reported."""
    if spec is None:
        return RetryPolicy(limit=AUTOMATED_DEFAULT_LIMIT if automated else 0), []
    problems: list[Problem] = []
    limit = spec.get("limit", 0)
    if isinstance(limit, bool) or not isinstance(limit, int):
        problems.append(
            error(None, f"{field}.limit", f"{limit!r} is not a whole number; use e.g. 5, or -1 for no limit")
        )
        limit = 0
    backoff = spec.get("backoff") or {}
    if not isinstance(backoff, Mapping):
        problems.append(
            error(None, f"{field}.backoff", "must be a mapping with duration, factor and maxDuration")
        )
        backoff = {}
    duration = _duration(backoff.get("duration"), DEFAULT_DURATION, f"{field}.backoff.duration", problems)
    max_duration = _duration(
        backoff.get("maxDuration"), DEFAULT_MAX_DURATION, f"{field}.backoff.maxDuration", problems
    )
    factor = backoff.get("factor", DEFAULT_FACTOR)
    if factor is None:
        factor = DEFAULT_FACTOR
    if isinstance(factor, bool) or not isinstance(factor, int | float) or factor < 1:
        problems.append(
            error(None, f"{field}.backoff.factor", f"{factor!r} must be a number of at least 1, e.g. 2")
        )
        factor = DEFAULT_FACTOR
    return RetryPolicy(limit, duration, float(factor), max_duration), problems


def _duration(value: Any, default: timedelta, field: str, problems: list[Problem]) -> timedelta:
    if value is None or value == "":
        return default
    try:
        parsed = timedelta(seconds=parse_seconds(str(value)))
    except DurationError as exc:
        problems.append(error(None, field, str(exc)))
        return default
    if parsed < timedelta(0):
        problems.append(error(None, field, f"{value!r} is negative; use a positive duration such as 5s"))
        return default
    return parsed
