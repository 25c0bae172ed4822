"""Git request metrics of the repo service, with Argo CD's repo-server names.

``argocd_git_request_total{repo, request_type}`` counts ``git ls-remote`` and
``git fetch`` runs and ``argocd_git_request_duration_seconds`` times them, so
an operator can see which repository is slow or polled too often (every
refresh costs one ls-remote; a fetch only happens for a new commit).

The metrics live in :data:`REGISTRY`, one per process, because the working
copies they describe are per process too. ``argosy repo-server`` serves it on
its metrics port; when the repo service runs inside the controller, the
controller's metrics endpoint serves it as well.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram

from argosy.repo.redact import strip_userinfo

LS_REMOTE = "ls-remote"
FETCH = "fetch"

REGISTRY = CollectorRegistry(auto_describe=True)

GIT_REQUESTS = Counter(
    "argocd_git_request",
    "Number of git requests performed by repo server",
    ["repo", "request_type"],
    registry=REGISTRY,
)
GIT_REQUEST_DURATION = Histogram(
    "argocd_git_request_duration_seconds",
    "Git requests duration seconds.",
    ["repo", "request_type"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 4, 10, 20),
    registry=REGISTRY,
)


@contextmanager
def git_request(url: str, request_type: str) -> Iterator[None]:
    """Count and time one git call against ``url`` (credentials never reach a label), even when it fails."""
    repo = strip_userinfo(url)
    GIT_REQUESTS.labels(repo, request_type).inc()
    started = time.monotonic()
    try:
        yield
    finally:
        GIT_REQUEST_DURATION.labels(repo, request_type).observe(time.monotonic() - started)
