"""A real ``argosy repo-server`` (its HTTP app over a :class:`RepoService`) on a loopback port.

Tests that need the repo server as a separate service, as deployed (the API
server and the controller reach it over HTTP), start one with
:func:`running_repo_server`; its cache directory is ``root``, so a test can
look at what it keeps on disk.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from argosy.repo import RepoService
from argosy.repo.server import create_app


@contextmanager
def running_repo_server(root: Path, timeout: float = 30.0) -> Iterator[str]:
    """Serve a repo service rooted at ``root``; yields its URL and stops it afterwards."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(RepoService(root)), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the repo server on port {port} did not start within {timeout:.0f}s")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
