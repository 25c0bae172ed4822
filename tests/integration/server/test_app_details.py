"""``POST /api/v1/repositories/{repo}/appdetails`` reads a real Git repo and real Helm chart
repositories through the repo service: a chart's values files and default parameters (in Git or
downloaded from a Helm repository, with a repository Secret's credentials), a Kustomize base's
images; errors that name what is missing; RBAC as Argo CD's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from support.api_server import PASSWORD, ControlPlane, application, assert_error, bearer
from support.gitrepo import GitRepo
from support.helm_repo import HelmRepoServer, make_chart
from support.naming import HELM_USER
from support.secrets import repo_secret

FILES = {
    "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "chart/values.yaml": (
        "replicaCount: 1\nimage: {repository: nginx, tag: '1.25'}\nargs: [a, b]\ndebug: false\n"
    ),
    "chart/values-prod.yaml": "replicaCount: 3\n",
    "chart/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\n",
    "base/kustomization.yaml": (
        "resources: [cm.yaml]\nimages: [{name: nginx, newName: registry.local/nginx, newTag: '2'}]\n"
    ),
    "base/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\n",
    "plain/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\n",
    "broken/Chart.yaml": "apiVersion: v2\nname: broken\nversion: 0.1.0\n",
    "broken/values.yaml": "a: [unclosed\n",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    git = GitRepo(tmp_path_factory.mktemp("git") / "details.git")
    git.commit(FILES)
    return git


def _ask(api: httpx.Client, headers: dict[str, str], app: str, source: dict[str, Any]) -> httpx.Response:
    url = quote(source["repoURL"], safe="")
    body = {"source": source, "appName": app}
    return api.post(f"/api/v1/repositories/{url}/appdetails", json=body, headers=headers)


def test_a_chart_a_kustomize_base_and_a_directory(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane, repo: GitRepo
) -> None:
    name, url = f"details-{uuid.uuid4().hex[:6]}", f"file://{repo.bare}"
    app = application(name, repo=url)
    app["spec"]["source"] = {"repoURL": url, "path": "chart", "targetRevision": "main"}
    control_plane.apply(app)

    helm = _ask(api, admin, name, {"repoURL": url, "path": "chart", "targetRevision": "main"})
    assert helm.status_code == 200, helm.text
    details = helm.json()
    assert details["type"] == "Helm"
    assert details["helm"]["valueFiles"] == ["values-prod.yaml", "values.yaml"]
    assert "replicaCount: 1" in details["helm"]["values"]
    assert details["helm"]["parameters"] == [
        {"name": "replicaCount", "value": "1"},
        {"name": "image.repository", "value": "nginx"},
        {"name": "image.tag", "value": "1.25"},
        {"name": "args[0]", "value": "a"},
        {"name": "args[1]", "value": "b"},
        {"name": "debug", "value": "false"},
    ]
    # The app's chosen values files are laid over values.yaml, as its render does (Argo CD's
    # GetAppDetails): the defaults shown are the ones it renders with.
    chosen = {"repoURL": url, "path": "chart", "targetRevision": "main"}
    chosen_body = {**chosen, "helm": {"valueFiles": ["values-prod.yaml", "https://example.com/x.yaml"]}}
    prod = _ask(api, admin, name, chosen_body).json()
    assert {"name": "replicaCount", "value": "3"} in prod["helm"]["parameters"]
    assert {"name": "image.tag", "value": "1.25"} in prod["helm"]["parameters"]
    # any path of the app's own repository (the form may be editing another path)
    kust = _ask(api, admin, name, {"repoURL": url, "path": "base", "targetRevision": "main"}).json()
    assert kust == {"type": "Kustomize", "kustomize": {"images": ["nginx=registry.local/nginx:2"]}}
    plain = _ask(api, admin, name, {"repoURL": url, "path": "plain", "targetRevision": "main"}).json()
    assert plain == {"type": "Directory", "directory": {}}


def test_rbac_and_a_source_that_is_not_the_apps(
    api: httpx.Client,
    admin: dict[str, str],
    control_plane: ControlPlane,
    repo: GitRepo,
    login: Callable[[str, str], str],
    set_password: Callable[[str, str], None],
) -> None:
    name, url = f"details-{uuid.uuid4().hex[:6]}", f"file://{repo.bare}"
    app = application(name, repo=url)
    app["spec"]["source"] = {"repoURL": url, "path": "chart", "targetRevision": "main"}
    control_plane.apply(app)
    source = {"repoURL": url, "path": "chart", "targetRevision": "main"}

    assert _ask(api, {}, name, source).status_code == 401
    set_password("nobody", PASSWORD)
    nobody = bearer(login("nobody", PASSWORD))
    assert_error(_ask(api, nobody, name, source), 403, 7, "applications, get")
    other = _ask(api, admin, name, {"repoURL": "file:///etc/other.git", "path": "."})
    assert_error(other, 403, 7, "permission denied", "not a source of application")
    missing = _ask(api, admin, "", source)
    assert_error(missing, 400, 3, "appName")
    # the repository's own problems: 400 naming what is wrong (never a server error)
    for path, revision, words in (
        ("chart", "no-such-branch", "no-such-branch"),
        ("no-such-dir", "main", "no-such-dir"),
        ("broken", "main", "broken/values.yaml: not valid YAML"),
    ):
        answer = _ask(api, admin, name, {"repoURL": url, "path": path, "targetRevision": revision})
        assert answer.status_code == 400, answer.text
        assert words in answer.json()["message"], answer.text


def test_a_chart_from_a_helm_repository(
    api: httpx.Client,
    admin: dict[str, str],
    control_plane: ControlPlane,
    helm_repo: HelmRepoServer,
    tmp_path: Path,
) -> None:
    helm_repo.add_chart(
        make_chart(
            tmp_path,
            "details-chart",
            "0.3.0",
            {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: details}\n"},
            {"replicaCount": 2, "image": {"repository": "nginx", "tag": "1.27"}},
            extra_files={"values-staging.yaml": "replicaCount: 1\n", "ci/values-ci.yaml": "debug: true\n"},
        )
    )
    name, url = f"details-{uuid.uuid4().hex[:6]}", helm_repo.url
    source = {"repoURL": url, "chart": "details-chart", "targetRevision": "0.3.0"}
    app = application(name, repo=url)
    app["spec"]["source"] = source
    control_plane.apply(app)

    answer = _ask(api, admin, name, source)
    assert answer.status_code == 200, answer.text
    helm = answer.json()["helm"]
    assert answer.json()["type"] == "Helm" and helm["name"] == "details-chart"
    # the values files beside Chart.yaml, as Argo CD lists them (not ci/values-ci.yaml)
    assert helm["valueFiles"] == ["values-staging.yaml", "values.yaml"]
    assert "repository: nginx" in helm["values"]
    assert helm["parameters"] == [
        {"name": "image.repository", "value": "nginx"},
        {"name": "image.tag", "value": "1.27"},
        {"name": "replicaCount", "value": "2"},
    ]
    # a range resolves to the version the render would use
    ranged = _ask(api, admin, name, {**source, "targetRevision": "0.3.*"})
    assert ranged.status_code == 200 and ranged.json()["helm"]["parameters"] == helm["parameters"]

    for chart, version in (("details-chart", "9.9.9"), ("no-such-chart", "0.3.0")):
        missing = _ask(api, admin, name, {**source, "chart": chart, "targetRevision": version})
        assert_error(missing, 400, 9, chart, version, url)


def test_a_private_helm_repository_answers_with_its_secrets_credentials(
    api: httpx.Client,
    admin: dict[str, str],
    control_plane: ControlPlane,
    private_helm_repo: HelmRepoServer,
    tmp_path: Path,
) -> None:
    private_helm_repo.add_chart(make_chart(tmp_path, "details-private", "0.1.0", {}, {"secretive": "no"}))
    name, url = f"details-{uuid.uuid4().hex[:6]}", private_helm_repo.url
    source = {"repoURL": url, "chart": "details-private", "targetRevision": "0.1.0"}
    app = application(name, repo=url)
    app["spec"]["source"] = source
    control_plane.apply(app)

    refused = _ask(api, admin, name, source)
    assert_error(refused, 400, 9, "details-private", "0.1.0", url, "401", "check the repository credentials")
    secret = repo_secret(url=url, type="helm", username=HELM_USER[0], password=HELM_USER[1])
    secret["metadata"]["namespace"] = control_plane.namespace
    control_plane.apply(secret)
    try:
        answer = _ask(api, admin, name, source)
        assert answer.status_code == 200, answer.text
        assert answer.json()["helm"]["parameters"] == [{"name": "secretive", "value": "no"}]
        assert HELM_USER[1] not in refused.text + answer.text
    finally:
        control_plane.cluster.kubectl(
            "delete", "secret", secret["metadata"]["name"], "-n", control_plane.namespace
        )
