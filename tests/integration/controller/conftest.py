"""Fixtures for controller integration tests: a Git repo on disk and a running controller."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.cluster import ClusterHandle
from support.controller import RunningController
from support.gitrepo import GitRepo


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "apps.git")


@pytest.fixture
def controller_factory(cluster: ClusterHandle, tmp_path: Path) -> Iterator[type[RunningController]]:
    started: list[RunningController] = []

    class Factory(RunningController):
        def __init__(self) -> None:
            super().__init__(cluster, tmp_path / "repo-cache")
            started.append(self)

    yield Factory
    for ctl in started:
        ctl.stop()
