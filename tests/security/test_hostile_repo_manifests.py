"""Hostile and broken manifests committed to a real Git repository and rendered by the repo
service: alias bombs (directory, Kustomize, Helm values), binary files, invalid UTF-8,
duplicate keys, 20,000 documents, a 50 MB file. Each ends in an error naming the file, or in
the objects Argo CD would render, with its CPU time, wall time and memory measured."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.repo import RenderRequest, RenderResult, RepoService
from argosy.repo.errors import ManifestParseError, RepoError
from argosy.settings.repositories import RepositoryStore
from support.budget import long_mode, scaled
from support.git_server import GitHttpServer
from support.naming import unique
from support.secrets import application

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
)


def alias_bomb(levels: int = 8, indent: str = "  ") -> str:
    """``fan**levels`` strings once expanded (10⁸ for 8 levels) in a few hundred bytes."""
    lines = [f'{indent}a0: &a0 "lol"']
    lines += [f"{indent}a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


class Measured:
    """Wall time, this process's CPU time and peak-RSS growth of one render (helm/kustomize run
    as child processes: their CPU is read from RUSAGE_CHILDREN)."""

    def __init__(self, service: RepoService, app: dict[str, Any]) -> None:
        before, children = (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
        started = time.monotonic()
        self.result: RenderResult | None = None
        self.error: RepoError | None = None
        try:
            self.result = service.render(RenderRequest.from_application(app, repositories=RepositoryStore()))
        except RepoError as exc:
            self.error = exc
        after = resource.getrusage(resource.RUSAGE_SELF)
        self.wall = time.monotonic() - started
        self.cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        tools = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.tool_cpu = tools.ru_utime + tools.ru_stime - children.ru_utime - children.ru_stime
        self.rss_growth_mb = (after.ru_maxrss - before.ru_maxrss) / 1024

    def __str__(self) -> str:
        return (
            f"{self.wall:.2f}s wall, {self.cpu:.2f}s CPU (+{self.tool_cpu:.2f}s in helm/kustomize), "
            f"peak RSS +{self.rss_growth_mb:.0f} MB"
        )


@pytest.fixture
def service(tmp_path: Path) -> RepoService:
    return RepoService(tmp_path / "repo-server", timeout=60)


def _app(git_server: GitHttpServer, files: dict[str, str | bytes], **source: Any) -> dict[str, Any]:
    name = unique("hostile")
    repo = git_server.create_repo(name)
    for rel, content in files.items():
        path = repo.work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    repo.commit({}, "hostile content")
    return application({"repoURL": git_server.url(name), "path": "app", **source})


BOMBS: dict[str, dict[str, str | bytes]] = {
    "directory": {
        "app/ok.yaml": CM.format(name="ok"),
        "app/bomb.yaml": CM.format(name="b") + "x:\n" + alias_bomb(),
    },
    "kustomize": {
        "app/kustomization.yaml": "resources:\n- bomb.yaml\n",
        "app/bomb.yaml": CM.format(name="b") + "x:\n" + alias_bomb(),
    },
    "helm": {
        "app/Chart.yaml": yaml.safe_dump({"apiVersion": "v2", "name": "c", "version": "0.1.0"}),
        "app/values.yaml": "x:\n" + alias_bomb(),
        "app/templates/cm.yaml": CM.format(name="b") + "data:\n  x: {{ .Values.x | toJson | quote }}\n",
    },
}


@pytest.mark.parametrize("tool", sorted(BOMBS))
def test_an_alias_bomb_in_the_repository_fails_fast_naming_the_file(
    git_server: GitHttpServer, service: RepoService, tool: str
) -> None:
    run = Measured(service, _app(git_server, BOMBS[tool]))
    print(f"alias bomb (10^8 nodes), {tool}: {run.error}; {run}")
    assert run.error is not None, f"{tool}: the bomb rendered"
    named = {"directory": "app/bomb.yaml:1: ", "kustomize": "app/bomb.yaml:1: ", "helm": "values.yaml"}[tool]
    assert "excessive aliasing" in str(run.error) and named in str(run.error), run.error
    assert run.cpu < 3 and run.tool_cpu < 10 and run.rss_growth_mb < 300, str(run)


def test_binary_files_are_skipped_and_invalid_utf8_is_an_error_naming_the_file(
    git_server: GitHttpServer, service: RepoService
) -> None:
    files: dict[str, str | bytes] = {
        "app/cm.yaml": CM.format(name="ok"),
        "app/logo.png": PNG,
        "app/blob.bin": PNG,
    }
    run = Measured(service, _app(git_server, files))
    assert run.result is not None and [m["metadata"]["name"] for m in run.result.manifests()] == ["ok"]
    bad = {**files, "app/latin1.yaml": CM.format(name="caf\xe9").encode("latin-1")}
    run = Measured(service, _app(git_server, bad))
    assert isinstance(run.error, ManifestParseError), run.error
    assert str(run.error).startswith("app/latin1.yaml: not UTF-8 text (invalid byte at offset 52)"), run.error
    nul = {**files, "app/nul.yaml": PNG.decode("latin-1").encode("utf-8")}
    run = Measured(service, _app(git_server, nul))
    assert isinstance(run.error, ManifestParseError) and str(run.error).startswith(
        "app/nul.yaml: invalid YAML: unacceptable character #x0089"
    )


def test_duplicate_keys_render_the_last_value_with_a_warning(
    git_server: GitHttpServer, service: RepoService
) -> None:
    text = CM.format(name="dup") + "data:\n  k: first\n  k: second\n"
    run = Measured(service, _app(git_server, {"app/dup.yaml": text}))
    assert run.result is not None and run.result.manifests()[0]["data"] == {"k": "second"}
    assert "app/dup.yaml:7: document 0 repeats the key 'k'; the last value is used" in run.result.warnings


def test_twenty_thousand_documents_render_and_come_back_from_the_cache(
    git_server: GitHttpServer, service: RepoService, tmp_path: Path
) -> None:
    count = scaled(20_000, 50_000)
    text = "".join("---\n" + CM.format(name=f"cm-{i}") + f"data:\n  k: v{i}\n" for i in range(count))
    app = _app(git_server, {"app/many.yaml": text})
    first = Measured(service, app)
    assert first.result is not None and len(first.result.manifests()) == count, first.error
    again = Measured(service, app)
    assert again.result is not None and again.result.cached and len(again.result.manifests()) == count
    entries = list((tmp_path / "repo-server" / "manifests").rglob("*.json"))
    cache_bytes = sum(p.stat().st_size for p in entries)
    response_bytes = len(json.dumps(first.result.to_dict()))
    print(
        f"{count} documents ({len(text) / 1e6:.1f} MB): first render {first}; cache hit {again}; "
        f"cache entry {cache_bytes / 1e6:.1f} MB, API response {response_bytes / 1e6:.1f} MB"
    )
    assert first.cpu < 60 and again.wall < 10


def test_a_50_megabyte_manifest_is_refused_before_it_is_read(
    git_server: GitHttpServer, service: RepoService
) -> None:
    megabytes = scaled(11, 50)  # CI: just over the 10M cap (committing 50 MB costs git seconds)
    blob = CM.format(name="big") + "data:\n  blob: " + "x" * (megabytes << 20) + "\n"
    app = _app(git_server, {"app/big.yaml": blob, "app/ok.yaml": CM.format(name="ok")})
    run = Measured(service, app)
    print(f"{megabytes} MB manifest, default limit: {run.error}; {run}")
    assert isinstance(run.error, ManifestParseError)
    assert str(run.error).startswith(
        "app/big.yaml: the manifests of this directory source exceed 10000000 bytes"
    )
    assert run.cpu < 2 and run.rss_growth_mb < 100, str(run)
    if long_mode():  # the limit raised, as --max-combined-directory-manifests-size 64Mi does
        service.max_combined_directory_bytes = 64 * 1024 * 1024
        run = Measured(service, app)
        assert run.result is not None and len(run.result.manifests()[0]["data"]["blob"]) == megabytes << 20
        print(f"{megabytes} MB manifest, limit raised to 64Mi: rendered; {run}")
