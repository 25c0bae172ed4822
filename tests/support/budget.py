"""How long the fault loops and fuzzers run: a short CI setting and a long manual one.

CI runs the reliability and security suites with small counts so the whole suite
stays within its time budget; ``ARGOSY_SUITE_MODE=long`` (see
``docs/reliability.md``) runs the same tests with the counts the table reports.
"""

from __future__ import annotations

import os

MODE_VARIABLE = "ARGOSY_SUITE_MODE"


def long_mode() -> bool:
    """True when the manual long setting was asked for."""
    return os.environ.get(MODE_VARIABLE, "").strip().lower() == "long"


def scaled(short: int, long: int) -> int:
    """``long`` under the long setting, otherwise ``short`` (iterations, kills, seconds)."""
    return long if long_mode() else short
