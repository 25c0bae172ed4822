"""Fixtures of the image updater's live tests: a registry with the tutorial's image, a controller,
and ``run_updater`` (``argosy image-updater --once`` as a user runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from updater_support import COFFEE, TAGS, RunUpdater, registries_conf

from support.cluster import ClusterHandle
from support.controller import RunningController
from support.oci_images import ImagePusher
from support.oci_registry import OciRegistry


@pytest.fixture(scope="module")
def coffee_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OciRegistry]:
    """A registry standing in for Docker Hub, holding the tutorial's image at v1..v4 (v3 built last)."""
    if not OciRegistry.available():
        pytest.fail("docker-registry is not installed: run dev/setup.sh")
    with OciRegistry(tmp_path_factory.mktemp("coffee")) as reg:
        pusher = ImagePusher(reg.url)
        for tag, created in TAGS:
            pusher.push(COFFEE, tag, created=created)
        pusher.close()
        yield reg


@pytest.fixture
def ctl(cluster: ClusterHandle, tmp_path: Path, coffee_registry: OciRegistry) -> Iterator[RunningController]:
    controller = RunningController(cluster, tmp_path / "repo-cache").start()
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-image-updater-config", "namespace": controller.namespace},
        "data": {"registries.conf": registries_conf(coffee_registry)},
    }
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(cm))
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def run_updater(cluster: ClusterHandle, ctl: RunningController) -> RunUpdater:
    def run(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "argosy", "image-updater", "--once", "-n", ctl.namespace, *args],
            env={**os.environ, "KUBECONFIG": str(cluster.kubeconfig)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == code, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        return proc

    return run
