"""Kustomize sources with every Application override, build options and provenance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from argosy.repo import RenderResult
from argosy.repo.errors import RenderError
from support.git_server import GitHttpServer
from support.naming import unique
from support.secrets import application

Render = Callable[..., RenderResult]

DEPLOY = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "labels": {"app": "web"}},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]},
        },
    },
}
SVC = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {"ports": [{"port": 80}]}}

FILES: dict[str, str | None] = {
    "base/kustomization.yaml": yaml.safe_dump({"resources": ["deployment.yaml", "service.yaml"]}),
    "base/deployment.yaml": yaml.safe_dump(DEPLOY),
    "base/service.yaml": yaml.safe_dump(SVC),
    "overlay/kustomization.yaml": yaml.safe_dump({"resources": ["../base"], "namePrefix": "dev-"}),
    "components/extra/kustomization.yaml": yaml.safe_dump(
        {
            "apiVersion": "kustomize.config.k8s.io/v1alpha1",
            "kind": "Component",
            "resources": ["cm.yaml"],
        }
    ),
    "components/extra/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n",
}


@pytest.fixture(scope="module")
def kustomize_url(git_server: GitHttpServer) -> str:
    name = unique("kustomize")
    git_server.create_repo(name).commit(FILES)
    return git_server.url(name)


def _by_kind(result: RenderResult, kind: str) -> dict[str, Any]:
    return next(o.object for o in result.objects if o.object["kind"] == kind)


def _render(render: Render, url: str, path: str = "overlay", **kustomize: Any) -> RenderResult:
    source: dict[str, Any] = {"repoURL": url, "path": path, "targetRevision": "main"}
    if kustomize:
        source["kustomize"] = kustomize
    return render(application(source))


def test_plain_overlay_with_file_provenance(kustomize_url: str, render: Render) -> None:
    result = _render(render, kustomize_url)
    assert sorted(o.object["metadata"]["name"] for o in result.objects) == ["dev-web", "dev-web"]
    files = {o.object["kind"]: o.provenance.file for o in result.objects}
    assert files == {"Deployment": "base/deployment.yaml", "Service": "base/service.yaml"}
    assert all("annotations" not in o.object["metadata"] for o in result.objects), (
        "origin annotations removed"
    )
    assert result.sources[0].tool == "Kustomize"


def test_name_prefix_suffix_namespace(kustomize_url: str, render: Render) -> None:
    result = _render(render, kustomize_url, namePrefix="p-", nameSuffix="-s", namespace="team")
    deploy = _by_kind(result, "Deployment")
    assert deploy["metadata"]["name"] == "p-web-s" and deploy["metadata"]["namespace"] == "team"


def test_images(kustomize_url: str, render: Render) -> None:
    result = _render(render, kustomize_url, images=["nginx=registry.local/nginx:1.27"])
    assert _by_kind(result, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"] == (
        "registry.local/nginx:1.27"
    )
    tag_only = _render(render, kustomize_url, images=["nginx:1.26"])
    assert (
        _by_kind(tag_only, "Deployment")["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"
    )


def test_common_labels_and_annotations(kustomize_url: str, render: Render) -> None:
    result = _render(render, kustomize_url, commonLabels={"team": "a"}, commonAnnotations={"owner": "ops"})
    deploy = _by_kind(result, "Deployment")
    assert deploy["metadata"]["labels"]["team"] == "a"
    assert deploy["spec"]["selector"]["matchLabels"]["team"] == "a"
    assert deploy["metadata"]["annotations"] == {"owner": "ops"}
    without = _render(render, kustomize_url, commonLabels={"team": "b"}, labelWithoutSelector=True)
    deploy = _by_kind(without, "Deployment")
    assert (
        deploy["metadata"]["labels"]["team"] == "b"
        and "team" not in deploy["spec"]["selector"]["matchLabels"]
    )


def test_common_annotations_envsubst(kustomize_url: str, render: Render) -> None:
    result = _render(
        render, kustomize_url, commonAnnotations={"app": "${ARGOCD_APP_NAME}"}, commonAnnotationsEnvsubst=True
    )
    assert _by_kind(result, "Service")["metadata"]["annotations"] == {"app": "demo"}


def test_replicas(kustomize_url: str, render: Render) -> None:
    result = _render(render, kustomize_url, replicas=[{"name": "dev-web", "count": 4}])
    assert _by_kind(result, "Deployment")["spec"]["replicas"] == 4


def test_json6902_patch_replacing_metadata_name_with_target(kustomize_url: str, render: Render) -> None:
    patch = {
        "target": {"kind": "Deployment", "name": "web"},
        "patch": "- op: replace\n  path: /metadata/name\n  value: renamed\n",
    }
    result = _render(render, kustomize_url, patches=[patch])
    # Patches apply before the overlay's namePrefix, as in kustomize itself.
    assert _by_kind(result, "Deployment")["metadata"]["name"] == "dev-renamed"
    assert _by_kind(result, "Service")["metadata"]["name"] == "dev-web"


def test_strategic_merge_patch(kustomize_url: str, render: Render) -> None:
    patch = {"patch": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 7\n"}
    result = _render(render, kustomize_url, patches=[patch])
    assert _by_kind(result, "Deployment")["spec"]["replicas"] == 7


def test_components(kustomize_url: str, render: Render) -> None:
    result = _render(render, kustomize_url, components=["../components/extra"])
    cm = _by_kind(result, "ConfigMap")
    assert cm["metadata"]["name"] == "dev-extra"
    with pytest.raises(RenderError, match="not found"):
        _render(render, kustomize_url, components=["../components/missing"])
    ignored = _render(
        render, kustomize_url, components=["../components/missing"], ignoreMissingComponents=True
    )
    assert len(ignored.objects) == 2


def test_build_options_from_argocd_cm(git_server: GitHttpServer, render: Render) -> None:
    name = unique("kbuild")
    files = {
        "app/kustomization.yaml": yaml.safe_dump({"resources": ["../shared/cm.yaml"]}),
        "shared/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\n",
    }
    git_server.create_repo(name).commit(files)
    app = application({"repoURL": git_server.url(name), "path": "app"})
    with pytest.raises(RenderError, match="kustomize build app failed"):
        render(app)
    result = render(app, kustomize_build_options="--load-restrictor LoadRestrictionsNone")
    assert result.objects[0].object["metadata"]["name"] == "shared"
    assert result.objects[0].provenance.file == "shared/cm.yaml"


def test_kustomize_failure_quotes_kustomize(git_server: GitHttpServer, render: Render) -> None:
    name = unique("kbad")
    git_server.create_repo(name).commit({"app/kustomization.yaml": "resources:\n- missing.yaml\n"})
    with pytest.raises(RenderError, match=r"missing\.yaml"):
        render(application({"repoURL": git_server.url(name), "path": "app"}))
