"""Symlink loops and links out of the repository, for directory (recursive), Kustomize and
Helm sources rendered from a real Git server: no hang, a clear error naming the link (or,
where Argo CD renders, the right objects), and no file outside the repository read."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.repo import RenderRequest, RenderResult, RepoService
from argosy.repo.errors import ManifestParseError, PathEscapeError, RenderError
from argosy.settings.repositories import RepositoryStore
from support.git_server import GitHttpServer
from support.naming import unique
from support.secrets import application

Render = Callable[[dict[str, Any]], RenderResult]
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
FILES: dict[str, dict[str, str | None]] = {
    "directory": {"app/cm.yaml": CM.format(name="real")},
    "kustomize": {"app/cm.yaml": CM.format(name="real"), "app/kustomization.yaml": "resources:\n- cm.yaml\n"},
    "helm": {
        "app/Chart.yaml": yaml.safe_dump({"apiVersion": "v2", "name": "c", "version": "0.1.0"}),
        "app/templates/cm.yaml": CM.format(name="real"),
    },
}
DIR_LOOPS = {"app/here": ".", "app/up": "..", "app/d1": "d2", "app/d2": "d1", "app/sub/top": "../.."}
FILE_LOOPS = {"app/a.yaml": "b.yaml", "app/b.yaml": "a.yaml", "app/self.yaml": "self.yaml"}


@pytest.fixture
def render(tmp_path: Path) -> Render:
    service = RepoService(tmp_path / "repo-server", timeout=30)
    store = RepositoryStore.from_objects([])
    return lambda app: service.render(RenderRequest.from_application(app, repositories=store))


def _app(git_server: GitHttpServer, tool: str, links: dict[str, str]) -> dict[str, Any]:
    name = unique("links")
    repo = git_server.create_repo(name)
    repo.commit(FILES[tool])
    for rel, target in links.items():
        (repo.work / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo.work / rel).symlink_to(target)
    repo.commit({}, "links")
    source: dict[str, Any] = {"repoURL": git_server.url(name), "path": "app"}
    if tool == "directory":
        source["directory"] = {"recurse": True}
    return application(source)


def _measured(render: Render, app: dict[str, Any]) -> tuple[RenderResult | Exception, str]:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_utime
    started = time.monotonic()
    try:
        outcome: RenderResult | Exception = render(app)
    except Exception as exc:  # the assertions below say which error is right
        outcome = exc
    wall = time.monotonic() - started
    assert wall < 20, f"render took {wall:.1f}s"
    return outcome, f"{wall:.2f}s wall, {resource.getrusage(resource.RUSAGE_SELF).ru_utime - before:.2f}s CPU"


def test_directory_links_to_itself_its_parent_or_each_other_are_not_followed(
    git_server: GitHttpServer, render: Render
) -> None:
    outcome, figures = _measured(render, _app(git_server, "directory", DIR_LOOPS))
    assert isinstance(outcome, RenderResult), outcome
    assert [m["metadata"]["name"] for m in outcome.manifests()] == ["real"]
    print(f"directory, recurse, directory symlink loops: rendered once, {figures}")


def test_a_manifest_file_in_a_symlink_loop_is_an_error_naming_it(
    git_server: GitHttpServer, render: Render
) -> None:
    outcome, figures = _measured(render, _app(git_server, "directory", FILE_LOOPS))
    assert isinstance(outcome, ManifestParseError), outcome
    assert str(outcome).startswith("app/a.yaml: cannot be read: Too many levels of symbolic links"), outcome
    assert "repo-server" not in str(outcome)
    print(f"directory, file symlink loop: {outcome}; {figures}")


def test_kustomize_renders_past_symlink_loops_it_does_not_reference(
    git_server: GitHttpServer, render: Render
) -> None:
    outcome, figures = _measured(render, _app(git_server, "kustomize", DIR_LOOPS | FILE_LOOPS))
    assert isinstance(outcome, RenderResult), outcome
    assert [m["metadata"]["name"] for m in outcome.manifests()] == ["real"]
    print(f"kustomize, symlink loops: rendered, {figures}")


def test_helm_refuses_a_chart_with_a_symlink_loop_naming_it_by_repository_path(
    git_server: GitHttpServer, render: Render
) -> None:
    outcome, figures = _measured(render, _app(git_server, "helm", {"app/templates/loop.yaml": "loop.yaml"}))
    assert isinstance(outcome, RenderError), outcome
    assert "app/templates/loop.yaml" in str(outcome) and "repo-server" not in str(outcome), outcome
    print(f"helm, symlink loop: {outcome}; {figures}")


@pytest.mark.parametrize("tool", sorted(FILES))
def test_links_out_of_the_repository_are_refused_before_any_tool_reads_them(
    git_server: GitHttpServer, render: Render, tool: str
) -> None:
    links = {"app/etc": "/etc", "app/templates/passwd.yaml": "../../../../../../../etc/passwd"}
    outcome, figures = _measured(render, _app(git_server, tool, links | DIR_LOOPS))
    assert isinstance(outcome, PathEscapeError), outcome
    assert "out-of-bounds symlink: app/" in str(outcome) and "root:x:0" not in str(outcome)
    print(f"{tool}, links to /etc and ../../etc/passwd: {outcome}; {figures}")
