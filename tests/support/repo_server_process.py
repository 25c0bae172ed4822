"""``argosy repo-server`` as its own OS process, to be killed, restarted and starved of disk.

Unlike the in-thread uvicorn servers of the repo tests, this is the real
process a deployment runs: SIGKILL takes it down mid-render, and ``wrap``
runs it under another command (e.g. ``unshare`` with a tmpfs mounted over
its render cache). Its log goes to ``log_file``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RepoServerProcess:
    def __init__(
        self,
        cache_dir: Path,
        *,
        exec_timeout: float = 90.0,
        git_request_timeout: float = 15.0,
        wrap: Sequence[str] = (),
    ) -> None:
        self.cache_dir = cache_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = cache_dir.with_name(cache_dir.name + f"-{self.port}.log")
        self.wrap = list(wrap)
        self.args = [
            sys.executable,
            "-m",
            "argosy",
            "repo-server",
            "--port",
            str(self.port),
            "--cache-dir",
            str(cache_dir),
            "--metrics-port",
            "0",
            "--exec-timeout",
            str(exec_timeout),
            "--git-request-timeout",
            str(git_request_timeout),
        ]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> RepoServerProcess:
        """Launch and wait until it answers."""
        return self.launch().wait_ready(timeout)

    def launch(self) -> RepoServerProcess:
        """Start the process without waiting (start something else meanwhile, then
        :meth:`wait_ready`)."""
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen(
                [*self.wrap, *self.args], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        return self

    def wait_ready(self, timeout: float = 30.0) -> RepoServerProcess:
        assert self.proc is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"repo server exited with {self.proc.returncode}: {self.log()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            time.sleep(0.1)
        raise AssertionError(f"repo server did not answer /healthz within {timeout:.0f}s: {self.log()}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def kill(self) -> None:
        """SIGKILL the server process alone (what the OOM killer or ``kill -9`` does)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stats(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/api/v1/stats", timeout=5).json())

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
