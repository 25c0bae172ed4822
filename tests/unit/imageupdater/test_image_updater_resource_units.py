"""The ImageUpdater resource: app selection, most-specific-wins settings, useAnnotations, errors."""

from __future__ import annotations

from typing import Any

import pytest

from argosy.engine.selectors import SelectorError, matches
from argosy.imageupdater.config import UpdateSettings, WriteBack
from argosy.imageupdater.crd import ResourceError, configs_for, crd_manifest


def app(
    name: str, namespace: str = "argocd", labels: dict[str, str] | None = None, **annotations: str
) -> Any:
    meta = {"name": name, "namespace": namespace, "labels": labels or {}, "annotations": annotations}
    return {"metadata": meta}


def resource(**spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "iu", "namespace": "argocd"}, "spec": spec}


def test_selection_and_most_specific_settings_win() -> None:
    iu = resource(
        commonUpdateSettings={"updateStrategy": "semver", "ignoreTags": ["dev"]},
        writeBackConfig={"method": "git", "gitConfig": {"branch": "main"}},
        applicationRefs=[
            {
                "namePattern": "coffee-*",
                "labelSelectors": {"matchExpressions": [{"key": "team", "operator": "In", "values": ["a"]}]},
                "commonUpdateSettings": {"updateStrategy": "newest-build"},
                "writeBackConfig": {"gitConfig": {"writeBackTarget": "helmvalues:values.yaml"}},
                "images": [
                    {
                        "alias": "coffee",
                        "imageName": "qjoly/kubernetes-coffee-image:vx",
                        "commonUpdateSettings": {"updateStrategy": "semver", "platforms": ["linux/arm64"]},
                        "manifestTargets": {"helm": {"name": "app1.image.name", "tag": "app1.image.tag"}},
                    }
                ],
            }
        ],
    )
    apps = [
        app("coffee-1", labels={"team": "a"}),
        app("coffee-2", labels={"team": "b"}),
        app("tea", labels={"team": "a"}),
        app("coffee-3", namespace="other", labels={"team": "a"}),
    ]
    found = configs_for(iu, apps)
    assert list(found) == ["argocd/coffee-1"]
    config = found["argocd/coffee-1"]
    (image,) = config.images
    assert config.settings_for(image) == UpdateSettings(
        update_strategy="semver", ignore_tags=("dev",), platforms=("linux/arm64",)
    )
    assert config.write_back == WriteBack(method="git", branch="main", target="helmvalues:values.yaml")
    assert image.target is not None and image.target.helm_tag == "app1.image.tag"
    assert config.source == "ImageUpdater iu"


def test_use_annotations_reads_the_apps_image_list() -> None:
    iu = resource(applicationRefs=[{"namePattern": "*", "useAnnotations": True}])
    annotated = app("web", **{"argocd-image-updater.argoproj.io/image-list": "nginx:1.x"})
    found = configs_for(iu, [annotated, app("plain")])
    assert list(found) == ["argocd/web"] and found["argocd/web"].images[0].image == "nginx:1.x"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "applicationRefs: list at least one"),
        ({"applicationRefs": [{"images": [{"imageName": "x"}]}]}, "set namePattern and/or labelSelectors"),
        ({"applicationRefs": [{"namePattern": "*"}]}, "list images, or set useAnnotations"),
        ({"applicationRefs": [{"namePattern": "*", "images": [{"alias": "a"}]}]}, "imageName is required"),
        (
            {
                "applicationRefs": [
                    {
                        "namePattern": "*",
                        "images": [{"imageName": "x"}],
                        "commonUpdateSettings": {"forceUpdate": "yes"},
                    }
                ]
            },
            "forceUpdate: expected true or false",
        ),
    ],
)
def test_malformed_resources_name_the_field(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ResourceError, match=message):
        configs_for(resource(**spec), [app("web")])


def test_label_selectors_and_the_crd() -> None:
    assert matches({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"})
    assert not matches({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {"a": "1"})
    assert matches({"matchExpressions": [{"key": "c", "operator": "DoesNotExist"}]}, {"a": "1"})
    with pytest.raises(SelectorError, match="'Gt'"):
        matches({"matchExpressions": [{"key": "a", "operator": "Gt"}]}, {})
    crd = crd_manifest()
    assert crd["spec"]["group"] == "argocd-image-updater.argoproj.io"
    assert crd["spec"]["names"]["kind"] == "ImageUpdater"
