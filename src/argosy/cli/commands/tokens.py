"""``--expires-in`` of ``account generate-token`` and ``proj role create-token``, read one way."""

from __future__ import annotations

from argosy.cli.commands.backend import CliError
from argosy.engine.durations import DurationError, parse_seconds


def token_lifetime(expires_in: str) -> int:
    """Seconds a token lives: ``24h``, ``30m``, a bare number of seconds; ``0`` means it never expires."""
    try:
        seconds = parse_seconds(expires_in)
    except DurationError as exc:
        raise CliError(f"--expires-in: {exc}") from None
    if seconds < 0:
        raise CliError(f"--expires-in: {expires_in!r} is negative; use e.g. 24h, or 0 for no expiry")
    return int(seconds)
