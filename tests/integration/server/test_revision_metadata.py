"""``/revisions/{revision}/metadata``: a real commit's author, date and message, through the API.

The app's source is a ``file://`` Git repository committed by a named author at a fixed
date, so the answer can be compared field by field; the server reads it with its
in-process repo service, as the UI does for the header and History rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from support.api_server import PASSWORD, ControlPlane, application, assert_error, bearer
from support.gitrepo import GitRepo, git


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    repo = GitRepo(tmp_path_factory.mktemp("git") / "meta.git")
    repo.commit({"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n"}, message="first")
    message = "Bump the web tier to v2\n\nLonger explanation."
    # a named author at a fixed date (+01:00), so every field of the answer is known
    repo.commit({"app/extra.txt": "x"}, message=message)
    git(
        "commit",
        "-q",
        "--amend",
        "--no-edit",
        "--author=Ada Lovelace <ada@example.com>",
        "--date=2026-01-02T04:05:06+01:00",
        cwd=repo.work,
    )
    git("push", "-q", "--force", str(repo.bare), "main:refs/heads/main", cwd=repo.work)
    repo.tag("v2.0.0")
    return repo


def _app(control_plane: ControlPlane, repo: GitRepo, **source: str) -> str:
    name = f"meta-{uuid.uuid4().hex[:6]}"
    app = application(name)
    app["spec"]["source"] = {
        "repoURL": f"file://{repo.bare}",
        "path": "app",
        "targetRevision": "main",
        **source,
    }
    control_plane.apply(app)
    return name


def test_metadata_of_a_git_commit(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane, repo: GitRepo
) -> None:
    name = _app(control_plane, repo)
    sha = repo.sha("main")
    resp = api.get(f"/api/v1/applications/{name}/revisions/{sha}/metadata", headers=admin)
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "author": "Ada Lovelace <ada@example.com>",
        "date": "2026-01-02T03:05:06Z",
        "tags": ["v2.0.0"],
        "message": "Bump the web tier to v2\n\nLonger explanation.",
        "signatureInfo": "",
    }
    # a branch name resolves to its commit; the parent commit answers its own message
    by_branch = api.get(f"/api/v1/applications/{name}/revisions/main/metadata", headers=admin).json()
    assert by_branch["message"].startswith("Bump the web tier")
    parent = git("rev-parse", "main~1", cwd=repo.bare)
    first = api.get(f"/api/v1/applications/{name}/revisions/{parent}/metadata", headers=admin).json()
    assert first["message"] == "first" and first["tags"] == []


def test_unknown_revision_and_bad_source_index_are_clear_4xx(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane, repo: GitRepo
) -> None:
    name = _app(control_plane, repo)
    missing = "0123456789abcdef0123456789abcdef01234567"
    resp = api.get(f"/api/v1/applications/{name}/revisions/{missing}/metadata", headers=admin)
    assert_error(resp, 404, 5, missing, name)
    resp = api.get(f"/api/v1/applications/{name}/revisions/no-such-branch/metadata", headers=admin)
    assert_error(resp, 404, 5, "no-such-branch")
    resp = api.get(f"/api/v1/applications/{name}/revisions/main/metadata?sourceIndex=3", headers=admin)
    assert_error(resp, 400, 3, "sourceIndex 3", "1 source(s)")
    resp = api.get(f"/api/v1/applications/{name}/revisions/main/metadata?versionId=9", headers=admin)
    assert_error(resp, 400, 3, "versionId 9", "no history entry")


def test_a_helm_chart_version_has_no_commit_metadata(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    name = f"meta-helm-{uuid.uuid4().hex[:6]}"
    app = application(name)
    app["spec"]["source"] = {
        "repoURL": "https://charts.example.com",
        "chart": "web",
        "targetRevision": "1.2.3",
    }
    control_plane.apply(app)
    resp = api.get(f"/api/v1/applications/{name}/revisions/1.2.3/metadata", headers=admin)
    assert_error(resp, 400, 3, "Helm chart 'web'", "chart version", "no commit metadata")


def test_metadata_needs_a_session_and_get_on_the_app(
    api: httpx.Client,
    control_plane: ControlPlane,
    repo: GitRepo,
    login: Callable[[str, str], str],
    set_password: Callable[[str, str], None],
) -> None:
    name = _app(control_plane, repo)
    path = f"/api/v1/applications/{name}/revisions/main/metadata"
    assert_error(api.get(path), 401, 16, "no session information")
    set_password("nobody", PASSWORD)
    nobody = bearer(login("nobody", PASSWORD))
    assert_error(api.get(path, headers=nobody), 403, 7, "permission denied", "applications, get")
