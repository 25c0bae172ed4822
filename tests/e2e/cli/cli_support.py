"""Helpers of the CLI end-to-end tests: run ``argosy`` as a user does, and what a test gets."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from argosy.server.run import BackgroundServer
from support.cluster import ClusterHandle
from support.controller import RunningController


@dataclass
class Cli:
    """Runs ``argosy`` with a given config file; ``run`` fails the test on an unexpected exit code."""

    config: Path
    kubeconfig: Path
    env: dict[str, str] = field(default_factory=dict)

    def run(
        self,
        *args: str,
        code: int | None = 0,
        stdin: str | None = None,
        config: Path | None = None,
        timeout: float = 180,
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "ARGOSY_CONFIG": str(config or self.config),
            "KUBECONFIG": str(self.kubeconfig),
            "COLUMNS": "250",
            **self.env,
        }
        env.pop("ARGOSY_SERVER", None)
        env.pop("ARGOSY_AUTH_TOKEN", None)
        proc = subprocess.run(
            [sys.executable, "-m", "argosy", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
        if code is not None and proc.returncode != code:
            raise AssertionError(
                f"argosy {' '.join(args)} exited {proc.returncode}, expected {code}\n"
                f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
            )
        return proc


@dataclass
class Env:
    cluster: ClusterHandle
    ctl: RunningController
    server: BackgroundServer
    cli: Cli
    core_config: Path
    admin_password: str

    @property
    def namespace(self) -> str:
        return self.ctl.namespace

    def core(self, *args: str, code: int | None = 0) -> subprocess.CompletedProcess[str]:
        return self.cli.run(*args, code=code, config=self.core_config)
