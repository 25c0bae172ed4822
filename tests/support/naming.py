"""Unique names and fixed test credentials shared by suites using the loopback servers."""

from __future__ import annotations

import itertools

GIT_USER = ("alice", "alice-secret-pw")
GIT_TOKEN = "tok-7f3a9c1e5d"
HELM_USER = ("charts", "charts-secret-pw")
_names = itertools.count()


def unique(prefix: str) -> str:
    """A repository name no other test in the session uses."""
    return f"{prefix}-{next(_names)}"
