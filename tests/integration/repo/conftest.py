"""The repo-server tests' fixtures: ``service`` is a fresh in-process repo service per
test; ``render`` renders an Application. The loopback Git, SSH and Helm servers are
session fixtures of ``tests/conftest.py``, shared with the controller tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from argosy.repo import RenderRequest, RenderResult, RepoService
from argosy.repo.tools import find
from argosy.settings.repositories import RepositoryStore

Render = Callable[..., RenderResult]


@pytest.fixture(scope="session", autouse=True)
def _tools() -> None:
    try:
        find("helm")
        find("kustomize")
    except Exception as exc:  # pragma: no cover - environment guard
        pytest.fail(str(exc))


@pytest.fixture
def service(tmp_path: Path) -> RepoService:
    return RepoService(tmp_path / "repo-server", timeout=30)


@pytest.fixture
def render(service: RepoService) -> Render:
    """``render(app, objects=[secrets...], **request_fields)`` with the test's service."""

    def _render(app: dict[str, Any], objects: list[dict[str, Any]] | None = None, **kw: Any) -> RenderResult:
        store = RepositoryStore.from_objects(objects or [])
        return service.render(RenderRequest.from_application(app, repositories=store, **kw))

    return _render
