"""The ``argocd`` write-back as source edits: Helm parameters, Kustomize images, multi-source."""

from __future__ import annotations

from typing import Any

import pytest

from argosy.imageupdater.config import ManifestTarget
from argosy.imageupdater.overrides import Change, WriteBackError, apply_changes
from argosy.imageupdater.reference import parse_image
from argosy.repo import imageoverrides


def change(image: str, target: ManifestTarget | None = None) -> Change:
    return Change("", parse_image(image), "v1", target)


def test_helm_defaults_and_custom_keys() -> None:
    app: dict[str, Any] = {
        "spec": {"source": {"repoURL": "r", "path": "chart"}},
        "status": {"sourceType": "Helm"},
    }
    spec, _, changed = apply_changes(app, [(change("qjoly/kubernetes-coffee-image:v4"), "qjoly/x")])
    assert changed
    assert spec["source"]["helm"]["parameters"] == [
        {"name": "image.name", "value": "qjoly/kubernetes-coffee-image", "forceString": True},
        {"name": "image.tag", "value": "v4", "forceString": True},
    ]
    assert "helm" not in app["spec"]["source"], "the input is not changed"
    custom = ManifestTarget(helm_name="app1.image.name", helm_tag="app1.image.tag")
    spec, _, _ = apply_changes(app, [(change("qjoly/kubernetes-coffee-image:v4", custom), "")])
    assert [p["name"] for p in spec["source"]["helm"]["parameters"]] == ["app1.image.name", "app1.image.tag"]
    spec, _, _ = apply_changes(
        app, [(change("reg.io/a/b:2@sha256:" + "a" * 64, ManifestTarget(helm_spec="img")), "")]
    )
    assert spec["source"]["helm"]["parameters"] == [
        {"name": "img", "value": "reg.io/a/b:2@sha256:" + "a" * 64, "forceString": True}
    ]
    again = {**app, "spec": spec}
    assert (
        apply_changes(
            again, [(change("reg.io/a/b:2@sha256:" + "a" * 64, ManifestTarget(helm_spec="img")), "")]
        )[2]
        is False
    )


def test_kustomize_image_override_replaces_by_name() -> None:
    app = {
        "spec": {"source": {"repoURL": "r", "path": "k", "kustomize": {"images": ["nginx:1.0", "other:2"]}}}
    }
    spec, _, changed = apply_changes(app, [(change("127.0.0.1:5000/team/web:v4"), "nginx")])
    assert changed
    assert spec["source"]["kustomize"]["images"] == ["other:2", "nginx=127.0.0.1:5000/team/web:v4"]
    spec, _, _ = apply_changes(app, [(change("nginx:1.2"), "nginx")])
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
    spec, _, _ = apply_changes(app, [(change("web:v2", ManifestTarget(helm_tag="image.tag")), "web")])
    assert spec["sources"][2]["helm"]["parameters"][-1] == {
        "name": "image.tag",
        "value": "v2",
        "forceString": True,
    }
    assert "kustomize" not in spec["sources"][1]
    spec, _, _ = apply_changes(app, [(change("web:v2"), "web")])
    assert spec["sources"][1]["kustomize"]["images"] == ["web:v2"]


def test_a_directory_app_gets_the_image_overrides_annotation() -> None:
    app: dict[str, Any] = {
        "metadata": {"annotations": {"argosy.io/image-overrides": "other:2"}},
        "spec": {"source": {"repoURL": "r", "path": "plain"}},
        "status": {"sourceType": "Directory"},
    }
    spec, annotations, changed = apply_changes(app, [(change("127.0.0.1:5000/web:v2"), "web")])
    assert changed and spec == app["spec"]
    assert annotations == {"argosy.io/image-overrides": "other:2,web=127.0.0.1:5000/web:v2"}
    app["metadata"]["annotations"] = annotations
    assert apply_changes(app, [(change("127.0.0.1:5000/web:v2"), "web")])[2] is False
    with pytest.raises(WriteBackError, match="no Helm source"):
        apply_changes(app, [(change("web:v2", ManifestTarget(helm_tag="image.tag")), "web")])


def test_overrides_rewrite_pod_templates_of_every_workload_kind() -> None:
    pod = {"containers": [{"name": "a", "image": "web:1"}, {"name": "b", "image": "db:5@sha256:" + "b" * 64}]}
    objects = [
        {"kind": "Deployment", "spec": {"template": {"spec": pod}}},
        {
            "kind": "CronJob",
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {"initContainers": [{"image": "web"}]}}}}},
        },
        {"kind": "Pod", "spec": {"ephemeralContainers": [{"image": "docker.io/library/web:1"}]}},
        {"kind": "ConfigMap", "data": {"image": "web:1"}},
    ]
    assert imageoverrides.apply(objects, imageoverrides.parse("web=reg.io/web:2, db@sha256:" + "c" * 64)) == 3
    assert pod["containers"] == [
        {"name": "a", "image": "reg.io/web:2"},
        {"name": "b", "image": "db:5@sha256:" + "c" * 64},
    ]
    cron = objects[1]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["initContainers"][0]
    assert cron["image"] == "reg.io/web:2"
    assert objects[2]["spec"]["ephemeralContainers"][0]["image"] == "docker.io/library/web:1", "another name"
    assert objects[3]["data"]["image"] == "web:1"
