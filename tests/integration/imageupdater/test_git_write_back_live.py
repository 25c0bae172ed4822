"""Git write-back to a real Git server over HTTP with credentials (repository Secret, git:secret:),
rendered by the repo server.

The commit lands with the templated message and author; the repo server renders with the
committed ``.argocd-source-<app>.yaml``; the app syncs to the new tag; a push that races
another one is retried on top of it.
"""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from updater_support import COFFEE, RunUpdater, events, registries_conf

from argosy.controller.bootstrap import ensure_crds
from argosy.imageupdater import gitwrite
from argosy.imageupdater.gitwrite import GitWriteBack
from argosy.imageupdater.registries import Registries
from argosy.imageupdater.updater import ImageUpdater
from argosy.kube.clients import KubeClient
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, sync_status
from support.git_server import GitHttpServer
from support.gitrepo import git
from support.naming import GIT_TOKEN, GIT_USER, unique
from support.oci_registry import OciRegistry

PREFIX = "argocd-image-updater.argoproj.io"
CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: coffee\nversion: 0.1.0\n",
    "chart/values.yaml": f"image:\n  name: {COFFEE}\n  tag: v1\n",
    "chart/templates/deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  replicas: 1
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: coffee
          image: {{ .Values.image.name }}:{{ .Values.image.tag }}
""",
}
TEMPLATE = (
    "chore({{ .AppName }}): bump\n\n"
    "{{ range .AppChanges }}{{ .Image }} {{ .OldTag }} -> {{ .NewTag }}\n{{ end }}"
)


def _apply(cluster: ClusterHandle, obj: dict[str, Any]) -> None:
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(obj))


def _setup(
    cluster: ClusterHandle, ctl: RunningController, git_server: GitHttpServer, name: str, method: str = "git"
) -> Any:
    repo = git_server.create_repo(unique("coffee"), private=True)
    repo.commit(CHART)
    url = git_server.url(repo.bare.name.removesuffix(".git"))
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"repo-{name}",
            "namespace": ctl.namespace,
            "labels": {"argocd.argoproj.io/secret-type": "repository"},
        },
        "stringData": {"url": url, "username": GIT_USER[0], "password": GIT_USER[1]},
    }
    _apply(cluster, secret)
    cm = yaml.safe_load(
        cluster.kubectl(
            "get", "configmap", "argocd-image-updater-config", "-n", ctl.namespace, "-o", "yaml"
        ).stdout
    )
    cm["data"].update(
        {"git.user": "coffee-bot", "git.email": "bot@coffee.test", "git.commit-message-template": TEMPLATE}
    )
    _apply(cluster, {k: cm[k] for k in ("apiVersion", "kind", "metadata", "data")})
    ctl.apply_app(
        name,
        {
            "project": "default",
            "destination": {"server": "https://kubernetes.default.svc", "namespace": ctl.namespace},
            "source": {"repoURL": url, "path": "chart", "targetRevision": "main"},
            "syncPolicy": {"automated": {}},
        },
        annotations={f"{PREFIX}/image-list": f"{COFFEE}:vx", f"{PREFIX}/write-back-method": method},
    )
    ctl.wait_app(
        name,
        lambda a: sync_status(a) == "Synced" and health_status(a) == "Healthy",
        "Synced and Healthy at v1",
        timeout=90,
    )
    return repo


def _images(app: dict[str, Any]) -> list[str]:
    return list(((app.get("status") or {}).get("summary") or {}).get("images") or [])


def test_git_write_back_commits_and_the_app_syncs_to_the_new_tag(
    cluster: ClusterHandle, ctl: RunningController, run_updater: RunUpdater, git_server: GitHttpServer
) -> None:
    repo = _setup(cluster, ctl, git_server, "coffee-git")
    spec_before = ctl.app("coffee-git")["spec"]
    out = run_updater().stdout
    assert "coffee-git: updated" in out, out

    log = git("log", "-1", "--format=%an <%ae>%n%B", "main", cwd=repo.bare)
    assert log.splitlines()[0] == "coffee-bot <bot@coffee.test>"
    assert f"chore(coffee-git): bump\n\n{COFFEE} v1 -> v4" in log
    committed = yaml.safe_load(git("show", "main:chart/.argocd-source-coffee-git.yaml", cwd=repo.bare))
    assert committed == {
        "helm": {
            "parameters": [
                {"name": "image.name", "value": COFFEE, "forceString": True},
                {"name": "image.tag", "value": "v4", "forceString": True},
            ]
        }
    }
    app = ctl.wait_app(
        "coffee-git",
        lambda a: sync_status(a) == "Synced" and _images(a) == [f"{COFFEE}:v4"],
        "synced to the committed v4",
        timeout=60,
    )
    assert app["spec"] == spec_before, "git write-back leaves the Application alone"
    assert any(e["reason"] == "ImagesUpdated" for e in events(cluster, ctl.namespace, "coffee-git"))

    # A second cycle: nothing new, no commit.
    head = git("rev-parse", "main", cwd=repo.bare)
    assert "updated" not in run_updater().stdout
    assert git("rev-parse", "main", cwd=repo.bare) == head


def test_a_concurrent_push_is_retried_on_top_never_forced(
    cluster: ClusterHandle,
    ctl: RunningController,
    git_server: GitHttpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The updater writes with its own credentials (git:secret:), not the repository Secret's.
    writer = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "writer-creds", "namespace": ctl.namespace},
        "stringData": {"username": "image-writer", "password": GIT_TOKEN},
    }
    _apply(cluster, writer)
    repo = _setup(cluster, ctl, git_server, "coffee-race", f"git:secret:{ctl.namespace}/writer-creds")
    original = gitwrite.edit_source_file
    calls: list[int] = []

    def racing_edit(*args: Any, **kwargs: Any) -> str:
        calls.append(1)
        if len(calls) == 1:  # someone else pushes between our clone and our push
            repo.commit({"README.md": "someone else's change\n"}, "concurrent commit")
        return original(*args, **kwargs)

    monkeypatch.setattr(gitwrite, "edit_source_file", racing_edit)
    updater = ImageUpdater(ctl.client, ctl.namespace, git_writer=GitWriteBack(ctl.client, ctl.namespace))
    result = updater.run_once()
    updater.close()
    assert result.errors == 0, [o.errors for o in result.outcomes]
    assert len(calls) == 2, "the edit is re-applied on the other commit"
    subjects = git("log", "--format=%s", "main", cwd=repo.bare).splitlines()
    assert subjects[:2] == ["chore(coffee-race): bump", "concurrent commit"]
    assert git("show", "main:README.md", cwd=repo.bare) == "someone else's change"
    pushes = [
        r
        for r in git_server.requests
        if r.path == f"/{repo.bare.name}/git-receive-pack" and r.method == "POST"
    ]
    assert pushes and {r.user for r in pushes} == {"image-writer"}, "pushed with the git:secret credentials"


def test_kustomization_and_helm_values_targets_on_a_templated_branch(
    cluster: ClusterHandle, namespace: str, git_server: GitHttpServer, coffee_registry: OciRegistry
) -> None:
    """No controller: the apps carry the status one would write; only the commits are checked."""
    client = KubeClient(in_cluster_config(cluster.kubeconfig))
    ensure_crds(client)
    repo = git_server.create_repo(unique("coffee-targets"), private=True)
    repo.commit({**CHART, "k/kustomization.yaml": "resources: [d.yaml]\n", "k/d.yaml": "kind: List\n"})
    url = git_server.url(repo.bare.name.removesuffix(".git"))
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": "repo",
            "namespace": namespace,
            "labels": {"argocd.argoproj.io/secret-type": "repository"},
        },
        "stringData": {"url": url, "username": GIT_USER[0], "password": GIT_USER[1]},
    }
    _apply(cluster, secret)
    for name, path, kind, target, branch in [
        ("coffee-k", "k", "Kustomize", "kustomization", ""),
        ("coffee-v", "chart", "Helm", "helmvalues:values.yaml", "main:image-updater-{{.AppName}}"),
    ]:
        annotations = {
            f"{PREFIX}/image-list": f"{COFFEE}:vx",
            f"{PREFIX}/write-back-method": "git",
            f"{PREFIX}/write-back-target": target,
        }
        if branch:
            annotations[f"{PREFIX}/git-branch"] = branch
        _apply(
            cluster,
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Application",
                "metadata": {"name": name, "namespace": namespace, "annotations": annotations},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": url, "path": path, "targetRevision": "main"},
                    "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
                },
                "status": {"sourceType": kind, "summary": {"images": [f"{COFFEE}:v1"]}},
            },
        )
    updater = ImageUpdater(
        client,
        namespace,
        registries=Registries.parse(registries_conf(coffee_registry)),
        git_writer=GitWriteBack(client, namespace),
    )
    result = updater.run_once()
    updater.close()
    assert result.errors == 0 and result.updated == 2, [o.errors for o in result.outcomes]
    kustomization = yaml.safe_load(git("show", "main:k/kustomization.yaml", cwd=repo.bare))
    assert kustomization["images"] == [{"name": COFFEE, "newTag": "v4"}]
    values = yaml.safe_load(git("show", "image-updater-coffee-v:chart/values.yaml", cwd=repo.bare))
    assert values == {"image": {"name": COFFEE, "tag": "v4"}}
    assert "v1" in git("show", "main:chart/values.yaml", cwd=repo.bare), "the base branch is left alone"
