"""A running local cluster as tests see it (the ``cluster`` fixtures yield one)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from argosy.devcluster.cluster import LocalCluster

#: How long each cluster of the session took to start (printed at the end by tests/conftest.py).
CLUSTER_STARTS: list[str] = []


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


class ObjectWatch:
    """``kubectl get -w -o json`` of one object, started at once (a watch started after the event it
    is meant to see would begin with a later state): iterate its versions as they come, or
    :meth:`stop` it and take those not iterated yet. kubectl is killed after ``timeout`` seconds."""

    def __init__(
        self, cluster: ClusterHandle, resource: str, namespace: str, name: str, timeout: float
    ) -> None:
        self._proc = subprocess.Popen(
            [
                "kubectl",
                f"--kubeconfig={cluster.kubeconfig}",
                "get",
                resource,
                "-n",
                namespace,
                "--field-selector",
                f"metadata.name={name}",
                "-w",
                "-o",
                "json",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self._timer = threading.Timer(timeout, self._proc.kill)
        self._timer.start()
        time.sleep(1.0)  # the watch is established before the caller acts

    def __iter__(self) -> Iterator[dict[str, Any]]:
        assert self._proc.stdout is not None
        lines: list[str] = []
        for line in self._proc.stdout:  # kubectl indents; each object ends with "}" alone on a line
            lines.append(line)
            if line.rstrip("\n") == "}":
                yield json.loads("".join(lines))
                lines = []

    def stop(self) -> list[dict[str, Any]]:
        """Stop kubectl; the versions it printed that were not iterated yet."""
        self._timer.cancel()
        self._proc.terminate()
        rest = list(self)
        self._proc.wait()
        return rest


def cluster_secret(namespace: str, target: ClusterHandle, name: str, server: str = "") -> dict[str, Any]:
    """A cluster Secret as Argo CD stores it (client certificate auth) for ``target``, in the
    control-plane ``namespace``; ``server`` overrides the URL (a proxy in front of it)."""
    kubeconfig = yaml.safe_load(target.kubeconfig.read_text())
    user = kubeconfig["users"][0]["user"]
    ca = kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"]
    config = {
        "tlsClientConfig": {
            "caData": ca,
            "certData": user["client-certificate-data"],
            "keyData": user["client-key-data"],
        }
    }
    values = {"name": name, "server": server or target.server, "config": json.dumps(config)}
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"cluster-{name}",
            "namespace": namespace,
            "labels": {"argocd.argoproj.io/secret-type": "cluster"},
        },
        "type": "Opaque",
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
    }


def start_cluster(name: str, real_nodes: int = 0) -> Iterator[ClusterHandle]:
    """Start cluster ``name`` for a fixture, yield its handle, and stop it afterwards (unless
    ``ARGOSY_TEST_REUSE_CLUSTER=1`` keeps it for the next run)."""
    cluster = LocalCluster(name)
    started = time.monotonic()
    state = cluster.up(progress=lambda m: print(f"[{name}] {m}", flush=True), real_nodes=real_nodes)
    CLUSTER_STARTS.append(
        f"local cluster {name}: control plane ready in {state.ready_seconds}s, "
        f"up (incl. binary cache check) in {time.monotonic() - started:.1f}s"
    )
    try:
        yield ClusterHandle(cluster=cluster, kubeconfig=cluster.kubeconfig, server=state.server)
    finally:
        if os.environ.get("ARGOSY_TEST_REUSE_CLUSTER") != "1":
            cluster.down()


def cluster_name(role: str) -> str:
    """The session's cluster of ``role`` (``main``, ``second``, ``real``): unique per test
    process, or fixed per xdist worker when reused between runs."""
    if os.environ.get("ARGOSY_TEST_REUSE_CLUSTER") == "1":
        worker = os.environ.get("PYTEST_XDIST_WORKER")  # each xdist worker keeps its own
        return f"test-{role}-{worker}" if worker else f"test-{role}"
    return f"test-{role}-{os.getpid()}"
