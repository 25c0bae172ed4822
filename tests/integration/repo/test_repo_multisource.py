"""spec.sources with ref and $ref/path value files; manifest-generate-paths; disk cache."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from argosy.repo import RenderRequest, RenderResult, RepoService
from argosy.repo.errors import InvalidSourceError
from argosy.settings.repositories import RepositoryStore
from support.git_server import GitHttpServer
from support.helm_repo import HelmRepoServer, make_chart
from support.naming import unique
from support.secrets import application

Render = Callable[..., RenderResult]
TEMPLATE = (
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
    "data:\n  env: {{ .Values.env }}\n"
)


def test_values_from_another_git_repository(
    git_server: GitHttpServer, helm_repo: HelmRepoServer, tmp_path: Path, render: Render
) -> None:
    helm_repo.add_chart(make_chart(tmp_path, "multi", "1.0.0", {"cm.yaml": TEMPLATE}, {"env": "default"}))
    values = unique("values")
    repo = git_server.create_repo(values)
    sha = repo.commit({"envs/prod/values.yaml": "env: prod\n"})
    app = application(
        [
            {
                "repoURL": helm_repo.url,
                "chart": "multi",
                "targetRevision": "1.0.0",
                "helm": {"valueFiles": ["$values/envs/prod/values.yaml"]},
            },
            {"repoURL": git_server.url(values), "targetRevision": "main", "ref": "values"},
        ]
    )
    result = render(app)
    assert result.manifests() == [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "demo"}, "data": {"env": "prod"}}
    ]
    assert result.revisions == ["1.0.0", sha]
    assert [s.tool for s in result.sources] == ["Helm", ""]


def test_git_chart_and_git_manifests_together(git_server: GitHttpServer, render: Render) -> None:
    name = unique("multigit")
    files = {
        "chart/Chart.yaml": yaml.safe_dump({"apiVersion": "v2", "name": "c", "version": "0.1.0"}),
        "chart/templates/cm.yaml": TEMPLATE,
        "values/prod.yaml": "env: from-ref\n",
        "plain/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\n",
    }
    git_server.create_repo(name).commit(files)
    url = git_server.url(name)
    app = application(
        [
            {"repoURL": url, "path": "chart", "helm": {"valueFiles": ["$cfg/values/prod.yaml"]}},
            {"repoURL": url, "ref": "cfg"},
            {"repoURL": url, "path": "plain"},
        ]
    )
    result = render(app)
    assert [o.object["metadata"]["name"] for o in result.objects] == ["demo", "plain"]
    assert result.objects[0].object["data"]["env"] == "from-ref"
    assert [o.provenance.source_index for o in result.objects] == [0, 2]


def test_unknown_ref_and_escape_through_ref(git_server: GitHttpServer, render: Render) -> None:
    name = unique("multibad")
    files = {
        "chart/Chart.yaml": yaml.safe_dump({"apiVersion": "v2", "name": "c", "version": "0.1.0"}),
        "chart/templates/cm.yaml": TEMPLATE,
    }
    git_server.create_repo(name).commit(files)
    url = git_server.url(name)
    with pytest.raises(InvalidSourceError, match="no source has ref: 'nope'"):
        render(application([{"repoURL": url, "path": "chart", "helm": {"valueFiles": ["$nope/v.yaml"]}}]))
    from argosy.repo.errors import PathEscapeError

    escape = [
        {"repoURL": url, "path": "chart", "helm": {"valueFiles": ["$cfg/../../../etc/passwd"]}},
        {"repoURL": url, "ref": "cfg"},
    ]
    with pytest.raises(PathEscapeError, match="outside the repository"):
        render(application(escape))


def test_manifest_generate_paths_skips_render_for_unrelated_commits(
    git_server: GitHttpServer, tmp_path: Path
) -> None:
    service = RepoService(tmp_path / "svc")
    name = unique("genpaths")
    repo = git_server.create_repo(name)
    first = repo.commit(
        {
            "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",
            "other/readme.md": "x",
        }
    )
    app = application(
        {"repoURL": git_server.url(name), "path": "app", "targetRevision": "main"},
        annotations={"argocd.argoproj.io/manifest-generate-paths": "."},
    )
    req = RenderRequest.from_application(app, repositories=RepositoryStore())
    assert service.render(req).revision == first and service.renders == 1

    unrelated = repo.commit({"other/readme.md": "y"})
    result = service.render(RenderRequest.from_application(app, previous_revisions=[first]))
    assert result.revision == unrelated and service.renders == 1, "unrelated commit: no render"
    assert result.manifests()[0]["metadata"]["name"] == "a"

    related = repo.commit({"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n"})
    result = service.render(RenderRequest.from_application(app, previous_revisions=[unrelated]))
    assert result.revision == related and service.renders == 2
    assert result.manifests()[0]["metadata"]["name"] == "b"


def test_disk_cache_survives_a_restart(git_server: GitHttpServer, tmp_path: Path) -> None:
    name = unique("diskcache")
    git_server.create_repo(name).commit(
        {"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"}
    )
    app = application({"repoURL": git_server.url(name), "path": "app"})
    first = RepoService(tmp_path / "svc")
    first.render(RenderRequest.from_application(app))
    second = RepoService(tmp_path / "svc")
    result = second.render(RenderRequest.from_application(app))
    assert result.cached and second.renders == 0
    forced = second.render(RenderRequest.from_application(app, no_cache=True))
    assert not forced.cached and second.renders == 1
