"""Overrides stored in Git (``.argocd-source*.yaml``) are merged onto the source before rendering."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from argosy.repo import RenderResult
from argosy.repo.errors import RepoError
from support.gitrepo import GitRepo
from support.secrets import application

Render = Callable[..., RenderResult]
CHART = {
    "web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "web/values.yaml": "image:\n  name: nginx\n  tag: '1.0'\n",
    "web/templates/cm.yaml": (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n"
        "data:\n  image: '{{ .Values.image.name }}:{{ .Values.image.tag }}'\n"
    ),
    "k/kustomization.yaml": "resources: [deploy.yaml]\n",
    "k/deploy.yaml": (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n"
        "spec:\n  containers:\n  - name: c\n    image: nginx:1.0\n"
    ),
}


def _image(result: RenderResult) -> str:
    obj = result.objects[0].object
    if obj["kind"] == "ConfigMap":
        return str(obj["data"]["image"])
    return str(obj["spec"]["containers"][0]["image"])


def test_helm_and_kustomize_overrides_from_git(render: Render, tmp_path: Path) -> None:
    repo = GitRepo(tmp_path / "o.git")
    repo.commit(CHART)
    url = f"file://{repo.bare}"
    helm_app = application({"repoURL": url, "path": "web", "targetRevision": "HEAD"}, name="web")
    assert _image(render(helm_app)) == "nginx:1.0"

    repo.commit({"web/.argocd-source.yaml": "helm:\n  parameters:\n  - {name: image.tag, value: '1.1'}\n"})
    assert _image(render(helm_app)) == "nginx:1.1"
    own = "helm:\n  parameters:\n  - {name: image.tag, value: '2.0', forceString: true}\n"
    repo.commit({"web/.argocd-source-web.yaml": own})
    assert _image(render(helm_app)) == "nginx:2.0", "the app's own file wins"
    other = application({"repoURL": url, "path": "web", "targetRevision": "HEAD"}, name="other")
    assert _image(render(other)) == "nginx:1.1"
    repo.commit(
        {"web/.argocd-source-argocd_other.yaml": "helm:\n  parameters:\n  - {name: image.tag, value: '3'}\n"}
    )
    assert _image(render(other)) == "nginx:3", "the <namespace>_<name> file wins for that app"

    k_app = application({"repoURL": url, "path": "k", "targetRevision": "HEAD"}, name="k")
    repo.commit({"k/.argocd-source-k.yaml": "kustomize:\n  images: [nginx:1.25]\n"})
    assert _image(render(k_app)) == "nginx:1.25"

    repo.commit({"k/.argocd-source-k.yaml": "repoURL: https://elsewhere\n"})
    with pytest.raises(RepoError, match=r"argocd-source-k\.yaml: only helm, kustomize, directory, plugin"):
        render(k_app)
