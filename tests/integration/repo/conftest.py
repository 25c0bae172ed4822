"""Loopback servers for the repo-server tests, started once per session.

``git_server`` (smart HTTP, users and a token), ``git_tls_server`` (the same
over HTTPS with a private CA), ``ssh_server`` (sshd, key auth), ``helm_repo``
and ``private_helm_repo`` (chart repositories over HTTP). ``service`` is a
fresh in-process repo service per test; ``render`` renders an Application.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from argosy.repo import RenderRequest, RenderResult, RepoService
from argosy.repo.tools import find
from argosy.settings.repositories import RepositoryStore
from support.git_server import GitHttpServer
from support.helm_repo import HelmRepoServer
from support.naming import GIT_TOKEN, GIT_USER, HELM_USER
from support.ssh_server import SshServer

Render = Callable[..., RenderResult]


@pytest.fixture(scope="session", autouse=True)
def _tools() -> None:
    try:
        find("helm")
        find("kustomize")
    except Exception as exc:  # pragma: no cover - environment guard
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def servers_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("servers")


@pytest.fixture(scope="session")
def git_server(servers_root: Path) -> Iterator[GitHttpServer]:
    with GitHttpServer(servers_root, users=dict([GIT_USER]), tokens=(GIT_TOKEN,)) as server:
        yield server


@pytest.fixture(scope="session")
def git_tls_server(servers_root: Path) -> Iterator[GitHttpServer]:
    with GitHttpServer(servers_root / "tls", users=dict([GIT_USER]), tls=True) as server:
        yield server


@pytest.fixture(scope="session")
def ssh_server(servers_root: Path) -> Iterator[SshServer]:
    if not SshServer.available():
        pytest.skip("sshd not installed (apt-get install -y openssh-server)")
    with SshServer(servers_root) as server:
        yield server


@pytest.fixture(scope="session")
def helm_repo(servers_root: Path) -> Iterator[HelmRepoServer]:
    with HelmRepoServer(servers_root) as server:
        yield server


@pytest.fixture(scope="session")
def private_helm_repo(servers_root: Path) -> Iterator[HelmRepoServer]:
    with HelmRepoServer(servers_root, auth=HELM_USER) as server:
        yield server


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
