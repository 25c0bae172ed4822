"""Fixtures of the ApplicationSet tests: a running in-process controller (see support.appset)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.appset import Env
from support.cluster import ClusterHandle


@pytest.fixture
def env(cluster: ClusterHandle, tmp_path: Path) -> Iterator[Env]:
    e = Env(cluster, tmp_path / "repo-cache")
    e.controller.start()
    try:
        yield e
    finally:
        e.controller.stop()
        cluster.kubectl("delete", "namespace", e.namespace, "--wait=false", check=False)
