"""Symlink loops and links out of the repository, for directory (recursive), Kustomize and
Helm sources rendered from a real Git server: a clear error naming the link, no hang, and no
file outside the repository read."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.repo import RenderRequest, RenderResult, RepoService
from argosy.repo.errors import RepoError
from argosy.settings.repositories import RepositoryStore
from support.git_server import GitHttpServer
from support.naming import unique
from support.secrets import application

Render = Callable[[dict[str, Any]], RenderResult]
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
KUSTOMIZATION = "resources:\n- cm.yaml\n"
CHART = {
    "Chart.yaml": yaml.safe_dump({"apiVersion": "v2", "name": "c", "version": "0.1.0"}),
    "templates/cm.yaml": CM.format(name="chart"),
}
LOOPS = {  # name -> symlinks (path -> target) placed in the source's directory
    "file loop": {"a.yaml": "b.yaml", "b.yaml": "a.yaml"},
    "self loop": {"self.yaml": "self.yaml"},
    "dir to itself": {"here": "."},
    "dir to parent": {"up": ".."},
    "dir loop": {"d1": "d2", "d2": "d1"},
    "outside file": {"passwd.yaml": "/etc/passwd"},
    "outside dir": {"etc": "/etc"},
    "climbing out": {"climb.yaml": "../../../../../../../../etc/hostname"},
}
ESCAPES = {"outside file", "outside dir", "climbing out"}


@pytest.fixture
def render(tmp_path: Path) -> Render:
    service = RepoService(tmp_path / "repo-server", timeout=30)

    def _render(app: dict[str, Any]) -> RenderResult:
        return service.render(
            RenderRequest.from_application(app, repositories=RepositoryStore.from_objects([]))
        )

    return _render


def _source(git_server: GitHttpServer, tool: str, links: dict[str, str]) -> dict[str, Any]:
    name = unique("loop")
    repo = git_server.create_repo(name)
    base = {"directory": "app", "kustomize": "app", "helm": "app"}[tool]
    files: dict[str, str | None] = {f"{base}/cm.yaml": CM.format(name="real")}
    if tool == "kustomize":
        files[f"{base}/kustomization.yaml"] = KUSTOMIZATION
    if tool == "helm":
        files = {f"{base}/{rel}": text for rel, text in CHART.items()}
    repo.commit(files)
    for rel, target in links.items():
        (repo.work / base / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo.work / base / rel).symlink_to(target)
    repo.commit({}, "links")
    source: dict[str, Any] = {"repoURL": git_server.url(name), "path": base}
    if tool == "directory":
        source["directory"] = {"recurse": True}
    return source


@pytest.mark.parametrize("tool", ["directory", "kustomize", "helm"])
@pytest.mark.parametrize("case", sorted(LOOPS))
def test_symlink_loops_and_escapes_end_in_a_clear_error_or_a_correct_render(
    git_server: GitHttpServer, render: Render, tool: str, case: str
) -> None:
    source = _source(git_server, tool, LOOPS[case])
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    try:
        result = render(application(source))
    except RepoError as exc:
        message = str(exc)
        assert any(link in message for link in LOOPS[case]), message
        assert "root:x:0:0" not in message
        outcome = f"error: {message[:150]}"
    else:
        assert case not in ESCAPES, f"{case}: a link out of the repository was rendered"
        names = sorted(m["metadata"]["name"] for m in result.manifests())
        assert names == (["chart"] if tool == "helm" else ["real"]), names
        outcome = f"rendered {names}"
    elapsed = time.monotonic() - started
    cpu = resource.getrusage(resource.RUSAGE_SELF).ru_utime - before.ru_utime
    assert elapsed < 20, f"{case}/{tool}: {elapsed:.1f}s"
    print(f"{tool} {case}: {elapsed:.2f}s wall, {cpu:.2f}s CPU; {outcome}")
