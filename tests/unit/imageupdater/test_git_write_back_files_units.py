"""What the Git write-back writes: target paths, the three file kinds, and the message templates."""

from __future__ import annotations

import pytest
import yaml

from argosy.imageupdater.config import ManifestTarget
from argosy.imageupdater.gitfiles import (
    TargetError,
    edit_helm_values,
    edit_kustomization,
    edit_source_file,
    target_file,
)
from argosy.imageupdater.gitwrite import DEFAULT_MESSAGE, instance_file
from argosy.imageupdater.overrides import Change
from argosy.imageupdater.reference import parse_image
from argosy.imageupdater.templates import TemplateError, render

CHANGE = (Change("", parse_image("team/web:v4"), "v1"), "team/web")


def test_target_paths() -> None:
    assert target_file("", "apps/web", ".argocd-source-web.yaml") == (
        "source",
        "apps/web/.argocd-source-web.yaml",
    )
    assert target_file("kustomization", "apps/web", "x") == ("kustomization", "apps/web")
    assert target_file("kustomization:../base", "apps/web", "x") == ("kustomization", "apps/base")
    assert target_file("kustomization:/base", "apps/web", "x") == ("kustomization", "base")
    assert target_file("helmvalues", "chart", "x") == ("helmvalues", "chart/values.yaml")
    assert target_file("helmvalues:/envs/prod.yaml", "chart", "x") == ("helmvalues", "envs/prod.yaml")
    with pytest.raises(TargetError, match="outside the repository"):
        target_file("helmvalues:../../x.yaml", "chart", "x")
    with pytest.raises(TargetError, match="use kustomization"):
        target_file("values:x", "chart", "x")
    app = {"metadata": {"name": "web", "namespace": "team-a"}}
    assert instance_file(app, "argocd") == ".argocd-source-team-a_web.yaml"
    assert (
        instance_file({"metadata": {"name": "web", "namespace": "argocd"}}, "argocd")
        == ".argocd-source-web.yaml"
    )


def test_source_file_keeps_other_parameters() -> None:
    old = "helm:\n  parameters:\n  - {name: replicas, value: '2'}\n"
    doc = yaml.safe_load(edit_source_file(old, "f", "Helm", [CHANGE]))
    assert doc["helm"]["parameters"] == [
        {"name": "replicas", "value": "2"},
        {"name": "image.name", "value": "team/web", "forceString": True},
        {"name": "image.tag", "value": "v4", "forceString": True},
    ]
    doc = yaml.safe_load(edit_source_file(None, "f", "Kustomize", [CHANGE]))
    assert doc == {"kustomize": {"images": ["team/web:v4"]}}


def test_kustomization_and_helm_values() -> None:
    k = "resources: [d.yaml]\nimages:\n- name: team/web\n  newTag: v1\n- name: other\n  newTag: '3'\n"
    doc = yaml.safe_load(edit_kustomization(k, "kustomization.yaml", [CHANGE]))
    assert doc["images"] == [{"name": "other", "newTag": "3"}, {"name": "team/web", "newTag": "v4"}]
    moved = (Change("", parse_image("reg.io/team/web:v4"), "v1"), "team/web")
    assert yaml.safe_load(edit_kustomization(k, "k", [moved]))["images"][-1] == {
        "name": "team/web",
        "newName": "reg.io/team/web",
        "newTag": "v4",
    }
    values = "replicas: 2\napp1:\n  image:\n    tag: v1\n"
    custom = (Change("", parse_image("team/web:v4"), "v1", ManifestTarget(helm_tag="app1.image.tag")), "")
    doc = yaml.safe_load(edit_helm_values(values, "values.yaml", [custom]))
    assert doc == {"replicas": 2, "app1": {"image": {"tag": "v4"}}, "image": {"name": "team/web"}}
    with pytest.raises(TargetError, match="replicas is not a mapping"):
        edit_helm_values(
            values,
            "values.yaml",
            [(Change("", parse_image("a:1"), "", ManifestTarget(helm_tag="replicas.x")), "")],
        )


def test_templates() -> None:
    data = {"AppName": "web", "AppChanges": [{"Image": "team/web", "OldTag": "v1", "NewTag": "v4"}]}
    assert (
        render(DEFAULT_MESSAGE, data)
        == "build: automatic update of web\n\nupdates image team/web tag 'v1' to 'v4'\n"
    )
    images = {"Images": [{"Name": "a", "NewTag": "1"}, {"Name": "b", "NewTag": "2"}], "SHA256": "ab"}
    assert render("upd{{range .Images}}-{{.Name}}-{{.NewTag}}{{end}}-{{.SHA256}}", images) == "upd-a-1-b-2-ab"
    with pytest.raises(TemplateError, match="no field 'Nope'"):
        render("{{ .Nope }}", data)
    with pytest.raises(TemplateError, match="without"):
        render("{{ range .AppChanges }}x", data)
    with pytest.raises(TemplateError, match=r"only \.Field"):
        render("{{ printf 'x' }}", data)
