"""Directory sources: recurse, include/exclude, JSON, multi-document, skipped non-objects, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from argosy.repo import RenderResult
from argosy.repo.errors import ManifestParseError, PathNotFoundError
from support.git_server import GitHttpServer
from support.naming import unique
from support.secrets import application

Render = Callable[..., RenderResult]


def cm(name: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"


def _repo(git_server: GitHttpServer, files: dict[str, str | None]) -> str:
    name = unique("dir")
    git_server.create_repo(name).commit(files)
    return git_server.url(name)


def _names(result: RenderResult) -> list[str]:
    return [o.object["metadata"]["name"] for o in result.objects]


FILES: dict[str, str | None] = {
    "app/a.yaml": cm("a") + "---\n" + cm("a2"),
    "app/b.json": json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}),
    "app/notes.txt": "not a manifest",
    "app/sub/c.yml": cm("c"),
    "app/sub/deeper/d.yaml": cm("d"),
    "app/values.yaml": "replicas: 3\n",
    "app/list.yaml": "apiVersion: v1\nkind: List\nitems:\n- "
    + cm("l1").replace("\n", "\n  ").rstrip()
    + "\n",
}


def test_top_level_only_by_default_with_provenance(git_server: GitHttpServer, render: Render) -> None:
    url = _repo(git_server, FILES)
    result = render(application({"repoURL": url, "path": "app"}))
    assert _names(result) == ["a", "a2", "b", "l1"]
    prov = [(o.provenance.file, o.provenance.document_index, o.provenance.line) for o in result.objects]
    assert prov[:3] == [("app/a.yaml", 0, 1), ("app/a.yaml", 1, 6), ("app/b.json", 0, 1)]
    assert any("app/values.yaml" in w and "not a Kubernetes object" in w for w in result.warnings)


def test_recurse_include_exclude(git_server: GitHttpServer, render: Render) -> None:
    url = _repo(git_server, FILES)
    recursive = render(application({"repoURL": url, "path": "app", "directory": {"recurse": True}}))
    assert _names(recursive) == ["a", "a2", "b", "l1", "c", "d"]
    included = render(
        application(
            {"repoURL": url, "path": "app", "directory": {"recurse": True, "include": "{a.yaml,sub/*}"}}
        )
    )
    assert _names(included) == ["a", "a2", "c", "d"]
    excluded = render(
        application({"repoURL": url, "path": "app", "directory": {"recurse": True, "exclude": "*deeper*"}})
    )
    assert "d" not in _names(excluded) and "c" in _names(excluded)


def test_empty_directory_is_a_valid_empty_render(git_server: GitHttpServer, render: Render) -> None:
    url = _repo(git_server, {"empty/README.md": "nothing here"})
    result = render(application({"repoURL": url, "path": "empty"}))
    assert result.objects == [] and result.revision


def test_malformed_yaml_names_file_and_line(git_server: GitHttpServer, render: Render) -> None:
    url = _repo(
        git_server, {"app/ok.yaml": cm("ok"), "app/bad.yaml": cm("x") + "data:\n  k: [unclosed\n  j: 1\n"}
    )
    with pytest.raises(ManifestParseError, match=r"app/bad\.yaml:\d+: invalid YAML") as info:
        render(application({"repoURL": url, "path": "app"}))
    assert info.value.file == "app/bad.yaml" and info.value.line


def test_malformed_json_names_file_and_line(git_server: GitHttpServer, render: Render) -> None:
    url = _repo(git_server, {"app/bad.json": '{\n "apiVersion": "v1",\n "kind": \n}'})
    with pytest.raises(ManifestParseError, match=r"app/bad\.json:4: invalid JSON"):
        render(application({"repoURL": url, "path": "app"}))


def test_missing_path(git_server: GitHttpServer, render: Render) -> None:
    url = _repo(git_server, {"app/a.yaml": cm("a")})
    with pytest.raises(PathNotFoundError, match="nope"):
        render(application({"repoURL": url, "path": "nope"}))


def test_file_url_repository(tmp_path: object, render: Render) -> None:
    from pathlib import Path

    from support.gitrepo import GitRepo

    repo = GitRepo(Path(str(tmp_path)) / "local.git")
    sha = repo.commit({"app/a.yaml": cm("local")})
    result = render(application({"repoURL": f"file://{repo.bare}", "path": "app", "targetRevision": "main"}))
    assert _names(result) == ["local"] and result.revision == sha
