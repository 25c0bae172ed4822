"""Manifest splitting, directory globs, sources, generate-paths, overrides and helm output parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from argosy.engine.glob import glob_match
from argosy.repo import manifests
from argosy.repo.cache import RenderCache, make_key
from argosy.repo.errors import (
    InvalidSourceError,
    ManifestParseError,
    PathEscapeError,
    RenderError,
    error_from_code,
)
from argosy.repo.generatepaths import affected
from argosy.repo.paths import check_symlinks, resolve_in_root
from argosy.repo.redact import redact
from argosy.repo.renderers.helm import clean_set_value, envsubst, split_output
from argosy.repo.renderers.kustomize import apply_overrides, parse_image
from argosy.repo.request import RenderRequest
from argosy.repo.source import KustomizeOptions, application_sources, parse_source


def test_parse_multi_document_with_lines_and_warnings() -> None:
    text = "apiVersion: v1\nkind: A\n---\n# comment only\n---\nfoo: 1\n---\napiVersion: v1\nkind: B\n"
    parsed = manifests.parse(text, "f.yaml")
    assert [(d.object["kind"], d.index, d.line) for d in parsed.documents] == [("A", 0, 1), ("B", 3, 8)]
    assert parsed.warnings == [
        "f.yaml: document 2 (line 6) is not a Kubernetes object (no apiVersion/kind); skipped"
    ]


def test_parse_errors_name_file_and_line() -> None:
    with pytest.raises(ManifestParseError, match=r"^f\.yaml:3: invalid YAML") as info:
        manifests.parse("a: 1\nb: 2\n c: 3\n", "f.yaml")
    assert info.value.line == 3
    assert manifests.parse("", "empty.yaml").documents == []


@pytest.mark.parametrize(
    ("pattern", "path", "ok"),
    [
        ("*.yaml", "a.yaml", True),
        ("*.yaml", "sub/a.yaml", True),  # Argo CD's * crosses directories
        ("{a,b}.yaml", "b.yaml", True),
        ("{a,b}.yaml", "c.yaml", False),
        ("sub/?.yml", "sub/x.yml", True),
        ("[!x]*.json", "x.json", False),
    ],
)
def test_glob(pattern: str, path: str, ok: bool) -> None:
    assert glob_match(pattern, path) is ok


def test_source_parsing_errors_name_the_field() -> None:
    with pytest.raises(InvalidSourceError, match=r"spec.source.repoURL: required"):
        parse_source({"path": "x"})
    with pytest.raises(InvalidSourceError, match=r"helm.valueFiles: expected list"):
        parse_source({"repoURL": "r", "helm": {"valueFiles": "a.yaml"}})
    with pytest.raises(InvalidSourceError, match="multiple source types"):
        parse_source({"repoURL": "r", "helm": {}, "kustomize": {}})
    with pytest.raises(InvalidSourceError, match=r"spec.sources\[1\].repoURL"):
        application_sources({"spec": {"sources": [{"repoURL": "a"}, {}]}})
    with pytest.raises(InvalidSourceError, match="plugin"):
        parse_source({"repoURL": "r", "plugin": {"name": "x"}})


def test_generate_paths() -> None:
    assert affected(["apps/web/deploy.yaml"], ".", "apps/web")
    assert not affected(["apps/webby/x.yaml", "README.md"], ".", "apps/web")
    assert affected(["shared/values.yaml"], ".;/shared", "apps/web")
    assert affected(["apps/common/x"], "../common", "apps/web")


def test_kustomize_images_and_overrides(tmp_path: Path) -> None:
    assert parse_image("nginx:1.2") == {"name": "nginx", "newTag": "1.2"}
    assert parse_image("nginx=reg.io/nginx:2@sha256:abc") == {
        "name": "nginx",
        "newName": "reg.io/nginx",
        "newTag": "2",
        "digest": "sha256:abc",
    }
    assert parse_image("reg.io:5000/app") == {"name": "reg.io:5000/app"}
    k = {"commonLabels": {"team": "x"}, "images": [{"name": "nginx", "newTag": "1"}]}
    apply_overrides(k, KustomizeOptions(images=("nginx:2",), namespace="ns"), tmp_path, tmp_path, {})
    assert k["images"] == [{"name": "nginx", "newTag": "2"}] and k["namespace"] == "ns"
    with pytest.raises(RenderError, match="forceCommonLabels"):
        apply_overrides(k, KustomizeOptions(common_labels={"team": "y"}), tmp_path, tmp_path, {})
    apply_overrides(
        k, KustomizeOptions(common_labels={"team": "y"}, force_common_labels=True), tmp_path, tmp_path, {}
    )
    assert k["commonLabels"] == {"team": "y"}


def test_helm_helpers() -> None:
    assert clean_set_value("a,b") == "a\\,b" and clean_set_value("{a,b}") == "{a,b}"
    assert envsubst("$ARGOCD_APP_NAME-${X}", {"ARGOCD_APP_NAME": "app", "X": "y"}) == "app-y"
    out = (
        "---\n# Source: web/templates/a.yaml\napiVersion: v1\nkind: A\n---\n# Source: web/templates/a.yaml\n"
    )
    out += (
        "apiVersion: v1\nkind: B\n---\n# Source: web/charts/dep/templates/c.yaml\napiVersion: v1\nkind: C\n"
    )
    rendered = split_output(out, "web", "charts/web", 2)
    assert [(o.provenance.file, o.provenance.document_index) for o in rendered.objects] == [
        ("charts/web/templates/a.yaml", 0),
        ("charts/web/templates/a.yaml", 1),
        ("charts/web/charts/dep/templates/c.yaml", 0),
    ]


def test_paths_refuse_escapes(tmp_path: Path) -> None:
    (tmp_path / "repo" / "a").mkdir(parents=True)
    root = tmp_path / "repo"
    assert resolve_in_root(root, "a/../a", "path") == (root / "a").resolve()
    for bad in ("../x", "/etc", "a/../../x"):
        with pytest.raises(PathEscapeError):
            resolve_in_root(root, bad, "path")
    (root / "a" / "link").symlink_to(tmp_path)
    with pytest.raises(PathEscapeError, match=r"a/link"):
        check_symlinks(root)


def test_redaction() -> None:
    text = "fatal: https://bob:s3cr3t@host/x.git failed; Authorization: Basic Ym9iOnMzY3IzdA== tok-abc"
    out = redact(text, ["tok-abc"])
    assert "s3cr3t" not in out and "Ym9i" not in out and "tok-abc" not in out and "https://***@host" in out


def test_cache_memory_and_disk(tmp_path: Path) -> None:
    key = make_key({"a": 1})
    assert key == make_key({"a": 1}) and key != make_key({"a": 2})
    cache = RenderCache(tmp_path, max_entries=1)
    assert cache.get(key) is None
    cache.put(key, {"objects": []})
    cache.put(make_key({"b": 1}), {"objects": [1]})
    assert RenderCache(tmp_path).get(key) == {"objects": []}, "evicted from memory, still on disk"


def test_request_roundtrip_and_error_codes() -> None:
    app = {
        "metadata": {"name": "a", "annotations": {"argocd.argoproj.io/manifest-generate-paths": "."}},
        "spec": {"source": {"repoURL": "r", "path": "p"}, "destination": {"namespace": "ns"}},
        "status": {"sync": {"revision": "abc"}},
    }
    req = RenderRequest.from_application(app, kube_version="1.30")
    assert (req.namespace, req.manifest_generate_paths, req.previous_revisions) == ("ns", ".", ["abc"])
    assert RenderRequest.from_dict(req.to_dict()) == req
    assert type(error_from_code("PathEscape", "m")) is PathEscapeError
