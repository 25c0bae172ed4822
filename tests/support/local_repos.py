"""Allow the loopback servers and temporary ``file://`` repositories the suite and benches use.

Argosy refuses loopback and local-path repository URLs by default (SSRF guard,
:mod:`argosy.repo.urlpolicy`). Every Git, Helm, OCI, SCM and registry server of
the suite listens on 127.0.0.1 and every bare repository lives under the
temporary directory, so the test session (tests/conftest.py) and each bench
allow exactly those through the same environment variables an operator would
set on the repo server (``reposerver.allowed.networks`` /
``reposerver.allowed.file.roots``). Subprocesses (``argosy repo-server``,
``argosy controller`` in e2e tests) inherit them.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from argosy.repo.urlpolicy import ENV_FILE_ROOTS, ENV_NETWORKS

LOOPBACK = "127.0.0.0/8,::1/128"


def local_repository_env(extra_roots: Iterable[Path] = ()) -> dict[str, str]:
    """The environment that allows loopback servers and repositories under the temp directory."""
    roots = [str(Path(tempfile.gettempdir()).resolve()), *(str(Path(r).resolve()) for r in extra_roots)]
    return {ENV_NETWORKS: LOOPBACK, ENV_FILE_ROOTS: ",".join(roots)}


def allow_local_repositories(extra_roots: Iterable[Path] = ()) -> None:
    """Set :func:`local_repository_env` in this process (and so in every process it starts)."""
    os.environ.update(local_repository_env(extra_roots))
