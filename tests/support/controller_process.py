"""``argosy controller`` as a real subprocess, so a test can SIGKILL it.

The in-process :class:`~support.controller.RunningController` cannot be killed
without killing pytest; tests about crashes (a sync resumed after SIGKILL, the
reliability kill loop) start the controller as its own process instead, each
start logging to its own file.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

from support.cluster import ClusterHandle

READY_LINE = "controller running in namespace"


class Processes:
    """``argosy controller`` subprocesses of one test; every one is killed at the end."""

    def __init__(self, cluster: ClusterHandle, logs: Path, wave_delay: float = 0.5) -> None:
        self.cluster = cluster
        self.logs = logs
        self.wave_delay = wave_delay
        self.started: list[subprocess.Popen[bytes]] = []

    def log_of(self, proc: subprocess.Popen[bytes]) -> Path:
        return self.logs / f"controller-{self.started.index(proc)}.log"

    def start(self, namespace: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"controller-{len(self.started)}.log").open("wb")
        env = {**os.environ, "ARGOCD_SYNC_WAVE_DELAY": str(self.wave_delay)}
        cmd = [sys.executable, "-m", "argosy", "controller", "--namespace", namespace]
        cmd += ["--kubeconfig", str(self.cluster.kubeconfig)]
        # No /metrics: the default port 8082 is one per machine, and two test workers (or a
        # restart racing the killed process's socket) would collide on it.
        cmd += ["--metrics-port", "0"]
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        log.close()  # the child holds its own copy of the descriptor
        self.started.append(proc)
        return proc

    def wait_ready(self, proc: subprocess.Popen[bytes], timeout: float) -> None:
        """Until the process logs that its workers run (it then picks up a Running operation)."""
        log = self.log_of(proc)
        deadline = time.monotonic() + timeout
        while READY_LINE not in log.read_text(errors="replace"):
            assert proc.poll() is None, f"the controller exited: {log.read_text(errors='replace')}"
            assert time.monotonic() < deadline, f"the controller did not start: {log.read_text()}"
            time.sleep(0.05)

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no cleanup of any kind, exactly as an OOM kill or a node loss."""
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL, f"controller pid {proc.pid} was not killed"

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.kill_all()

    def kill_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                self.kill(proc)
