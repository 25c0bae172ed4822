"""Manifest splitting, directory globs, sources, generate-paths, overrides and helm output parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from argosy.engine.glob import glob_match
from argosy.model.source import KustomizeSource
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
from argosy.repo.source import parse_source


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
    with pytest.raises(InvalidSourceError, match=r"^spec.source.repoURL is required$"):
        parse_source({"path": "x"})
    with pytest.raises(
        InvalidSourceError, match=r"^spec.source.helm.valueFiles: expected array, got string$"
    ):
        parse_source({"repoURL": "r", "helm": {"valueFiles": "a.yaml"}})
    with pytest.raises(InvalidSourceError, match="set at most one of helm, kustomize"):
        parse_source({"repoURL": "r", "helm": {}, "kustomize": {}})
    request = RenderRequest(app_name="a", sources=[{"repoURL": "a"}, {}])
    with pytest.raises(InvalidSourceError, match=r"^spec.sources\[1\].repoURL is required$"):
        request.parsed_sources()
    with pytest.raises(InvalidSourceError, match=r"spec.source.plugin: config management plugins"):
        parse_source({"repoURL": "r", "plugin": {"name": "x"}})
    with pytest.raises(InvalidSourceError, match=r"spec.source.directory.jsonnet: Jsonnet is not supported"):
        parse_source({"repoURL": "r", "directory": {"jsonnet": {"libs": ["vendor"]}}})
    with pytest.raises(
        InvalidSourceError, match=r"kustomize.replicas\[0\].count: expected a number, got 'x'"
    ):
        parse_source({"repoURL": "r", "kustomize": {"replicas": [{"name": "web", "count": "x"}]}})
    with pytest.raises(InvalidSourceError, match=r"kustomize.patches\[0\]: set patch or path"):
        parse_source({"repoURL": "r", "kustomize": {"patches": [{"target": {"kind": "Deployment"}}]}})
    # Every problem at once, each with its path.
    with pytest.raises(InvalidSourceError) as info:
        parse_source({"repoURL": "r", "targetRevison": "v1", "helm": {"skipCrds": "yes", "valueFiles": [1]}})
    assert str(info.value) == (
        "spec.source.helm.valueFiles[0]: expected string, got integer; "
        "spec.source.helm.skipCrds: expected boolean, got string"
    )


def test_source_reading_keeps_every_renderer_option() -> None:
    """Each option the renderers read arrives, typed, from the one source view."""
    src = parse_source(
        {
            "repoURL": " https://git.example.com/app.git ",
            "targetRevision": " main ",
            "path": "deploy",
            "helm": {
                "valueFiles": ["a.yaml"],
                "values": "x: 1",
                "valuesObject": {"y": 2},
                "parameters": [{"name": "image.tag", "value": "v1", "forceString": True}],
                "fileParameters": [{"name": "cfg", "path": "cfg.txt"}],
                "releaseName": "rel",
                "namespace": "ns",
                "kubeVersion": "1.30",
                "apiVersions": ["v1"],
                "skipCrds": True,
                "skipTests": True,
                "skipSchemaValidation": True,
                "ignoreMissingValueFiles": True,
                "passCredentials": True,
            },
        }
    )
    assert (src.repo_url, src.target_revision, src.path) == (
        "https://git.example.com/app.git",
        "main",
        "deploy",
    )
    helm = src.helm
    assert helm is not None
    assert (helm.value_files, helm.values, helm.values_object) == (["a.yaml"], "x: 1", {"y": 2})
    assert [(p.name, p.value, p.force_string) for p in helm.parameters] == [("image.tag", "v1", True)]
    assert [(p.name, p.path) for p in helm.file_parameters] == [("cfg", "cfg.txt")]
    assert (helm.release_name, helm.namespace, helm.kube_version, helm.api_versions) == (
        "rel",
        "ns",
        "1.30",
        ["v1"],
    )
    assert helm.skip_crds and helm.skip_tests and helm.skip_schema_validation
    assert helm.ignore_missing_value_files and helm.pass_credentials
    kust = parse_source(
        {
            "repoURL": "r",
            "kustomize": {
                "namePrefix": "p-",
                "nameSuffix": "-s",
                "images": ["nginx:2"],
                "commonLabels": {"team": "x"},
                "commonAnnotations": {"a": "$ARGOCD_APP_NAME"},
                "commonAnnotationsEnvsubst": True,
                "forceCommonLabels": True,
                "forceCommonAnnotations": True,
                "labelWithoutSelector": True,
                "namespace": "ns",
                "replicas": [{"name": "web", "count": "3"}],
                "patches": [{"patch": "- op: remove", "target": {"kind": "Deployment"}}],
                "components": ["../c"],
                "ignoreMissingComponents": True,
                "kubeVersion": "1.30",
                "apiVersions": ["v1"],
            },
        }
    ).kustomize
    assert kust is not None
    assert (kust.name_prefix, kust.name_suffix, kust.images, kust.namespace) == (
        "p-",
        "-s",
        ["nginx:2"],
        "ns",
    )
    assert kust.common_labels == {"team": "x"} and kust.common_annotations == {"a": "$ARGOCD_APP_NAME"}
    assert kust.common_annotations_envsubst and kust.force_common_labels and kust.force_common_annotations
    assert kust.label_without_selector and kust.ignore_missing_components
    assert [(r.name, r.int_count()) for r in kust.replicas] == [("web", 3)]
    assert [p.to_dict() for p in kust.patches] == [
        {"patch": "- op: remove", "target": {"kind": "Deployment"}}
    ]
    assert (kust.components, kust.kube_version, kust.api_versions) == (["../c"], "1.30", ["v1"])
    directory = parse_source(
        {"repoURL": "r", "directory": {"recurse": True, "include": "*.yaml", "exclude": "x/*", "jsonnet": {}}}
    ).directory
    assert directory is not None
    assert (directory.recurse, directory.include, directory.exclude) == (True, "*.yaml", "x/*")


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
    apply_overrides(k, KustomizeSource(images=["nginx:2"], namespace="ns"), tmp_path, tmp_path, {})
    assert k["images"] == [{"name": "nginx", "newTag": "2"}] and k["namespace"] == "ns"
    with pytest.raises(RenderError, match="forceCommonLabels"):
        apply_overrides(k, KustomizeSource(common_labels={"team": "y"}), tmp_path, tmp_path, {})
    apply_overrides(
        k, KustomizeSource(common_labels={"team": "y"}, force_common_labels=True), tmp_path, tmp_path, {}
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
