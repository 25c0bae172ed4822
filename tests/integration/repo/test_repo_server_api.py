"""``argosy repo-server`` over HTTP on loopback, and ``argosy admin app render``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from argosy.cli.main import app as cli
from argosy.repo import HttpRepoClient, RenderRequest
from argosy.repo.errors import AuthenticationError, PathNotFoundError
from argosy.settings.repositories import RepositoryStore
from support.git_server import GitHttpServer
from support.naming import GIT_USER, unique
from support.repo_server import running_repo_server
from support.secrets import application, repo_secret

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


@pytest.fixture
def repo_server(tmp_path: Path) -> Iterator[str]:
    with running_repo_server(tmp_path / "rs") as url:
        yield url


def test_render_over_http_with_typed_errors(git_server: GitHttpServer, repo_server: str) -> None:
    name = unique("api")
    sha = git_server.create_repo(name, private=True).commit({"app/cm.yaml": CM.format(name="over-http")})
    url = git_server.url(name)
    client = HttpRepoClient(repo_server)
    store = RepositoryStore.from_objects([repo_secret(url=url, username=GIT_USER[0], password=GIT_USER[1])])
    app = application({"repoURL": url, "path": "app"})
    result = client.render(RenderRequest.from_application(app, repositories=store))
    assert result.revision == sha
    assert result.manifests() == [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "over-http"}}
    ]
    assert result.objects[0].provenance.file == "app/cm.yaml"
    assert client.render(RenderRequest.from_application(app, repositories=store)).cached
    with pytest.raises(AuthenticationError):
        client.render(RenderRequest.from_application(app))
    with pytest.raises(PathNotFoundError, match="missing"):
        client.render(
            RenderRequest.from_application(
                application({"repoURL": url, "path": "missing"}), repositories=store
            )
        )
    client.close()


def test_app_details_over_http_with_the_requests_credentials(
    git_server: GitHttpServer, repo_server: str
) -> None:
    """The Parameters tab's source details: read from a private repo with the request's credentials."""
    name = unique("details")
    chart = {
        "chart/Chart.yaml": "apiVersion: v2\nname: c\nversion: 1.0.0\n",
        "chart/values.yaml": "a: {b: 1}\n",
    }
    git_server.create_repo(name, private=True).commit(chart)
    url = git_server.url(name)
    client = HttpRepoClient(repo_server)
    store = RepositoryStore.from_objects([repo_secret(url=url, username=GIT_USER[0], password=GIT_USER[1])])
    app = application({"repoURL": url, "path": "chart"})
    details = client.app_details(RenderRequest.from_application(app, repositories=store))
    assert details["type"] == "Helm"
    assert details["helm"]["parameters"] == [{"name": "a.b", "value": "1"}]
    assert details["helm"]["valueFiles"] == ["values.yaml"]
    with pytest.raises(AuthenticationError):
        client.app_details(RenderRequest.from_application(app))
    client.close()


def test_admin_app_render_cli(git_server: GitHttpServer, tmp_path: Path) -> None:
    name = unique("cli")
    git_server.create_repo(name, private=True).commit(
        {"app/a.yaml": CM.format(name="one") + "---\n" + CM.format(name="two")}
    )
    url = git_server.url(name)
    app_file = tmp_path / "app.yaml"
    app_file.write_text(yaml.safe_dump(application({"repoURL": url, "path": "app"})))
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(yaml.safe_dump(repo_secret(url=url, username=GIT_USER[0], password=GIT_USER[1])))
    runner = CliRunner()
    base = ["admin", "app", "render", "-f", str(app_file), "--cache-dir", str(tmp_path / "cache")]

    out = runner.invoke(cli, [*base, "--repo-secrets", str(secrets), "--show-provenance"])
    assert out.exit_code == 0, out.output
    assert "# Source: sources[0] app/a.yaml (document 1)" in out.stdout
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(out.stdout)] == ["one", "two"]

    as_json = runner.invoke(cli, [*base, "--repo-secrets", str(secrets), "-o", "json"])
    assert [d["metadata"]["name"] for d in json.loads(as_json.stdout)] == ["one", "two"]

    failed = runner.invoke(cli, base)
    assert failed.exit_code == 1
    assert "AuthenticationFailed" in failed.stderr
    assert GIT_USER[1] not in failed.output
