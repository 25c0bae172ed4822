"""Regression tests for Argo CD's advisory classes: path escapes, symlinks, remote values,
runaway processes, credential leaks."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from argosy.repo import RenderResult, execute
from argosy.repo.errors import CommandTimeoutError, OutputTooLargeError, PathEscapeError, RemoteValueFileError
from support.git_server import GitHttpServer
from support.naming import GIT_USER, unique
from support.secrets import application, repo_secret

Render = Callable[..., RenderResult]
CHART = {
    "chart/Chart.yaml": yaml.safe_dump({"apiVersion": "v2", "name": "c", "version": "0.1.0"}),
    "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n"
    '  f: {{ .Values.f | default "" | quote }}\n',
}


def _url(
    git_server: GitHttpServer, files: dict[str, str | None], symlinks: dict[str, str] | None = None
) -> str:
    name = unique("sec")
    repo = git_server.create_repo(name)
    repo.commit(files)
    for rel, target in (symlinks or {}).items():
        repo.symlink(rel, target)
    return git_server.url(name)


@pytest.mark.parametrize("path", ["../..", "app/../../..", "/etc"])
def test_source_path_outside_repository(git_server: GitHttpServer, render: Render, path: str) -> None:
    url = _url(git_server, {"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"})
    with pytest.raises(PathEscapeError, match=r"path '.*'"):
        render(application({"repoURL": url, "path": path}))


def test_symlink_pointing_outside_the_repository(git_server: GitHttpServer, render: Render) -> None:
    url = _url(
        git_server,
        {"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"},
        {"app/passwd.yaml": "/etc/passwd"},
    )
    with pytest.raises(PathEscapeError, match=r"out-of-bounds symlink: app/passwd\.yaml -> /etc/passwd"):
        render(application({"repoURL": url, "path": "app"}))


def test_symlink_inside_the_repository_is_fine(git_server: GitHttpServer, render: Render) -> None:
    url = _url(
        git_server,
        {"shared/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: shared}\n"},
        {"app/cm.yaml": "../shared/cm.yaml"},
    )
    assert render(application({"repoURL": url, "path": "app"})).manifests()[0]["metadata"]["name"] == "shared"


@pytest.mark.parametrize("value_file", ["../../../../etc/passwd", "/etc/passwd"])
def test_value_file_outside_repository(git_server: GitHttpServer, render: Render, value_file: str) -> None:
    url = _url(git_server, CHART)
    with pytest.raises(PathEscapeError, match="value file"):
        render(application({"repoURL": url, "path": "chart", "helm": {"valueFiles": [value_file]}}))


def test_file_parameter_outside_repository(git_server: GitHttpServer, render: Render) -> None:
    url = _url(git_server, CHART)
    helm = {"fileParameters": [{"name": "f", "path": "../../../../etc/hostname"}]}
    with pytest.raises(PathEscapeError, match="fileParameters"):
        render(application({"repoURL": url, "path": "chart", "helm": helm}))


def test_value_file_through_symlinked_directory(git_server: GitHttpServer, render: Render) -> None:
    url = _url(git_server, CHART, {"chart/host": "/etc"})
    with pytest.raises(PathEscapeError, match="symlink"):
        render(application({"repoURL": url, "path": "chart", "helm": {"valueFiles": ["host/hostname"]}}))


def test_kustomize_resource_outside_repository(git_server: GitHttpServer, render: Render) -> None:
    files: dict[str, str | None] = {"app/kustomization.yaml": "resources:\n- ../../../../../etc/kubernetes\n"}
    url = _url(git_server, files)
    opts = "--load-restrictor LoadRestrictionsNone"  # kustomize's own guard off: ours must still hold
    with pytest.raises(PathEscapeError, match=r"app/kustomization\.yaml: reference"):
        render(application({"repoURL": url, "path": "app"}), kustomize_build_options=opts)


def test_remote_value_file_refused_unless_allowed(git_server: GitHttpServer, render: Render) -> None:
    url = _url(git_server, CHART)
    app = application(
        {"repoURL": url, "path": "chart", "helm": {"valueFiles": ["http://127.0.0.1:1/values.yaml"]}}
    )
    with pytest.raises(RemoteValueFileError, match="does not allow remote value files"):
        render(app)
    from argosy.repo.errors import RenderError

    with pytest.raises(RenderError, match=r"127\.0\.0\.1:1"):  # allowed: helm tries (and fails) to fetch it
        render(app, allow_remote_value_files=True)


def test_hanging_process_is_killed_at_its_timeout(tmp_path: Path) -> None:
    marker = tmp_path / "child-survived"
    start = time.monotonic()
    with pytest.raises(CommandTimeoutError, match=r"did not finish within 0\.5s"):
        execute.run(["sh", "-c", f"(sleep 3; touch {marker}) & sleep 30"], timeout=0.5)
    assert time.monotonic() - start < 20  # not the child's 30 s: it was killed, however busy the machine
    time.sleep(3.2)
    assert not marker.exists(), "the whole process group was killed"


def test_output_cap_kills_the_process() -> None:
    with pytest.raises(OutputTooLargeError, match="more than 100000 bytes"):
        execute.run(["yes"], output_cap=100_000, timeout=20)


def test_credentials_in_repo_url_are_redacted(git_server: GitHttpServer, render: Render) -> None:
    from argosy.repo.errors import RepoError

    name = unique("sec")
    git_server.create_repo(name, private=True).commit({"app/a.yaml": ""})
    url = git_server.url(name).replace("http://", f"http://{GIT_USER[0]}:leaked-pw-123@")
    with pytest.raises(RepoError) as info:
        render(application({"repoURL": url, "path": "app", "targetRevision": "nope"}))
    assert "leaked-pw-123" not in str(info.value)
    secret = repo_secret(url=git_server.url(name), username=GIT_USER[0], password="another-wrong-pw")
    with pytest.raises(RepoError) as info:
        render(application({"repoURL": git_server.url(name), "path": "app"}), [secret])
    assert "another-wrong-pw" not in str(info.value)
