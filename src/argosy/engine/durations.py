"""Durations as Argo CD writes them: Go's ``time.ParseDuration`` syntax (``90s``, ``1h30m``, ``2.5h``).

Sync windows, retry backoffs, ``timeout.reconciliation``, session and token
lifetimes all use it, so there is one parser; callers add their own rules (a
strictly positive length for windows). :func:`parse_seconds` is the reading of
settings where a bare number means seconds, as Argo CD accepts there.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

_UNITS: Final[dict[str, float]] = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
# Go's Duration is an int64 of nanoseconds: about 292 years either way.
MAX_SECONDS: Final[float] = (2**63 - 1) / 1e9
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)")


class DurationError(ValueError):
    """A duration could not be read; the message shows accepted spellings."""


def parse_go_duration(text: str) -> timedelta:
    """``text`` read as Go's ``time.ParseDuration`` reads it (``0`` alone needs no unit)."""
    raw = str(text).strip()
    sign = -1.0 if raw.startswith("-") else 1.0
    body = raw.lstrip("+-")
    if body == "0":
        return timedelta(0)
    total, pos = 0.0, 0
    while pos < len(body):
        match = _PART.match(body, pos)
        if match is None:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if not body or pos != len(body):
        raise DurationError(f"{text!r} is not a duration; write it like 30s, 2m, 1h30m or 300ms")
    if total > MAX_SECONDS:
        raise DurationError(f"{text!r} is out of range; a duration is at most about 292 years (2562047h)")
    return timedelta(seconds=sign * total)


def parse_seconds(text: str) -> float:
    """Seconds in ``text``: a bare number (``180``, ``0.5``) or a Go duration (``3m``, ``500ms``)."""
    raw = str(text).strip()
    if _NUMBER.fullmatch(raw):
        seconds = float(raw)
        if abs(seconds) > MAX_SECONDS:
            raise DurationError(f"{text!r} is out of range; a duration is at most about 292 years")
        return seconds
    try:
        return parse_go_duration(raw).total_seconds()
    except DurationError:
        raise DurationError(
            f"{text!r} is not a duration; write it like 30s, 2m, 1h30m or 300ms (a bare number means seconds)"
        ) from None
