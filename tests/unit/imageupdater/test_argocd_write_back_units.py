"""The ``argocd`` write-back as source edits: Helm parameters, Kustomize images, multi-source."""

from __future__ import annotations

from typing import Any

import pytest

from argosy.imageupdater.config import ManifestTarget
from argosy.imageupdater.overrides import Change, WriteBackError, apply_changes
from argosy.imageupdater.reference import parse_image


def change(image: str, target: ManifestTarget | None = None) -> Change:
    return Change("", parse_image(image), "v1", target)


def test_helm_defaults_and_custom_keys() -> None:
    app: dict[str, Any] = {
        "spec": {"source": {"repoURL": "r", "path": "chart"}},
        "status": {"sourceType": "Helm"},
    }
    spec, changed = apply_changes(app, [(change("qjoly/kubernetes-coffee-image:v4"), "qjoly/x")])
    assert changed
    assert spec["source"]["helm"]["parameters"] == [
        {"name": "image.name", "value": "qjoly/kubernetes-coffee-image", "forceString": True},
        {"name": "image.tag", "value": "v4", "forceString": True},
    ]
    assert "helm" not in app["spec"]["source"], "the input is not changed"
    custom = ManifestTarget(helm_name="app1.image.name", helm_tag="app1.image.tag")
    spec, _ = apply_changes(app, [(change("qjoly/kubernetes-coffee-image:v4", custom), "")])
    assert [p["name"] for p in spec["source"]["helm"]["parameters"]] == ["app1.image.name", "app1.image.tag"]
    spec, _ = apply_changes(
        app, [(change("reg.io/a/b:2@sha256:" + "a" * 64, ManifestTarget(helm_spec="img")), "")]
    )
    assert spec["source"]["helm"]["parameters"] == [
        {"name": "img", "value": "reg.io/a/b:2@sha256:" + "a" * 64, "forceString": True}
    ]
    again = {**app, "spec": spec}
    assert (
        apply_changes(
            again, [(change("reg.io/a/b:2@sha256:" + "a" * 64, ManifestTarget(helm_spec="img")), "")]
        )[1]
        is False
    )


def test_kustomize_image_override_replaces_by_name() -> None:
    app = {
        "spec": {"source": {"repoURL": "r", "path": "k", "kustomize": {"images": ["nginx:1.0", "other:2"]}}}
    }
    spec, changed = apply_changes(app, [(change("127.0.0.1:5000/team/web:v4"), "nginx")])
    assert changed
    assert spec["source"]["kustomize"]["images"] == ["other:2", "nginx=127.0.0.1:5000/team/web:v4"]
    spec, _ = apply_changes(app, [(change("nginx:1.2"), "nginx")])
    assert spec["source"]["kustomize"]["images"] == ["other:2", "nginx:1.2"]


def test_multi_source_picks_the_source_of_the_target_kind() -> None:
    app = {
        "spec": {
            "sources": [
                {"repoURL": "values", "ref": "values"},
                {"repoURL": "k", "path": "overlay"},
                {"repoURL": "oci://reg/charts", "chart": "web", "targetRevision": "1.0.0"},
            ]
        },
        "status": {"sourceTypes": ["", "Kustomize", "Helm"]},
    }
    spec, _ = apply_changes(app, [(change("web:v2", ManifestTarget(helm_tag="image.tag")), "web")])
    assert spec["sources"][2]["helm"]["parameters"][-1] == {
        "name": "image.tag",
        "value": "v2",
        "forceString": True,
    }
    assert "kustomize" not in spec["sources"][1]
    spec, _ = apply_changes(app, [(change("web:v2"), "web")])
    assert spec["sources"][1]["kustomize"]["images"] == ["web:v2"]


def test_a_directory_only_app_cannot_take_parameters() -> None:
    app = {"spec": {"source": {"repoURL": "r", "path": "plain"}}, "status": {"sourceType": "Directory"}}
    with pytest.raises(WriteBackError, match="no Helm or Kustomize source"):
        apply_changes(app, [(change("web:v2"), "web")])
