"""A running local cluster as tests see it (the ``cluster`` fixtures yield one)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argosy.devcluster.cluster import LocalCluster


@dataclass
class ClusterHandle:
    """What a test needs of a running cluster."""

    cluster: LocalCluster
    kubeconfig: Path
    server: str

    @property
    def name(self) -> str:
        return self.cluster.name

    def kubectl(
        self, *args: str, stdin: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            ["kubectl", f"--kubeconfig={self.kubeconfig}", *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
        return proc

    def api_client(self) -> Any:
        from kubernetes import config

        return config.new_client_from_config(config_file=str(self.kubeconfig))
