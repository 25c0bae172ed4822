"""Git directories and files generators against a real Git server on loopback.

First through the generation path alone (repo service, no cluster), then
through the controller: a push followed by the refresh annotation (what the
webhook route sets) regenerates at once.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from argosy.appset.generate import generate_applications
from argosy.appset.generators import GenerateContext
from argosy.appset.gitreader import RepoGitReader
from argosy.appset.requeue import DEFAULT_REQUEUE_SECONDS
from argosy.appset.validate import KnownCluster
from argosy.repo import RepoService
from argosy.settings.repositories import RepositoryStore
from support.appset import Env
from support.git_server import GitHttpServer

Obj = dict[str, Any]
LOCAL = [KnownCluster("in-cluster", "https://kubernetes.default.svc")]


def _appset(repo_url: str, git: Obj, name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "from-git", "namespace": "argocd"},
        "spec": {
            "generators": [{"git": {"repoURL": repo_url, "revision": "HEAD", **git}}],
            "template": {
                "metadata": {"name": name},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": repo_url, "path": "{{path}}", "targetRevision": "HEAD"},
                    "destination": {
                        "server": "https://kubernetes.default.svc",
                        "namespace": "{{path.basename}}",
                    },
                },
            },
            **spec,
        },
    }


def _generate(appset: Obj, tmp_path: Path) -> Any:
    reader = RepoGitReader(RepoService(root=tmp_path / "cache"), RepositoryStore.from_objects([]))
    ctx = GenerateContext(git=reader, app_projects=["default"])
    return generate_applications(appset, ctx, LOCAL, ["default"])


def test_directories_and_files_generators_read_the_real_repository(
    git_server: GitHttpServer, tmp_path: Path
) -> None:
    repo = git_server.create_repo(f"apps-{time.monotonic_ns()}")
    repo.commit(
        {
            "apps/coffee/deploy.yaml": "kind: ConfigMap\n",
            "apps/tea_time/deploy.yaml": "kind: ConfigMap\n",
            "apps/.hidden/deploy.yaml": "kind: ConfigMap\n",
            "apps/skip/deploy.yaml": "kind: ConfigMap\n",
            "clusters/prod/config.json": '{"cluster": {"name": "prod", "tier": 1}}',
            "clusters/dev/config.json": '{"cluster": {"name": "dev", "tier": 2}}',
        }
    )
    url = git_server.url(repo.bare.stem)
    dirs = _appset(
        url,
        {"directories": [{"path": "apps/*"}, {"path": "apps/skip", "exclude": True}]},
        "app-{{path.basenameNormalized}}",
    )
    result = _generate(dirs, tmp_path)
    assert result.errors == []
    assert [a["metadata"]["name"] for a in result.applications] == ["app-coffee", "app-tea-time"]
    files = _appset(
        url, {"files": [{"path": "clusters/*/config.json"}]}, "cfg-{{cluster.name}}-{{cluster.tier}}"
    )
    result = _generate(files, tmp_path)
    assert result.errors == []
    assert sorted(a["metadata"]["name"] for a in result.applications) == ["cfg-dev-2", "cfg-prod-1"]


def test_a_push_then_the_refresh_annotation_regenerates_at_once(env: Env, git_server: GitHttpServer) -> None:
    repo = git_server.create_repo(f"apps-{time.monotonic_ns()}")
    repo.commit({"apps/coffee/deploy.yaml": "kind: ConfigMap\n"})
    url = git_server.url(repo.bare.stem)
    appset = _appset(url, {"directories": [{"path": "apps/*"}]}, "app-{{path.basename}}")
    env.apply(appset)
    env.wait(lambda: "app-coffee" in env.apps(), "the first app")
    repo.commit({"apps/tea/deploy.yaml": "kind: ConfigMap\n"})
    pushed = time.monotonic()
    env.cluster.kubectl(
        "annotate", "applicationset", "from-git", "-n", env.namespace,
        "argocd.argoproj.io/application-set-refresh=true",
    )  # fmt: skip
    # Without the annotation nothing would look again before the git generator's requeue
    # (DEFAULT_REQUEUE_SECONDS, 180 s): seeing the new app well within that proves the
    # annotation triggered it, without a bound that needs a fast machine.
    env.wait(lambda: "app-tea" in env.apps(), "the app of the pushed directory", 90)
    assert time.monotonic() - pushed < DEFAULT_REQUEUE_SECONDS / 2
    env.wait(
        lambda: (
            "argocd.argoproj.io/application-set-refresh"
            not in ((env.get("applicationset", "from-git") or {})["metadata"].get("annotations") or {})
        ),
        "the refresh annotation removed",
    )


def test_a_github_push_to_the_webhook_route_regenerates_the_set(env: Env, git_server: GitHttpServer) -> None:
    import copy
    import json

    import httpx

    from argosy.server.config import ServerConfig
    from argosy.server.run import BackgroundServer
    from support.peer_data import peer_data_dir

    template = json.loads((peer_data_dir("webhook") / "payloads" / "github-commit-event.json").read_bytes())
    name = f"hooked-{time.monotonic_ns()}"
    repo = git_server.create_repo(name)
    first = repo.commit({"apps/coffee/deploy.yaml": "kind: ConfigMap\n"})
    url = git_server.url(name)
    env.apply(_appset(url, {"directories": [{"path": "apps/*"}]}, "app-{{path.basename}}"))
    env.wait(lambda: "app-coffee" in env.apps(), "the first app")
    config = ServerConfig(
        namespace=env.namespace, kubeconfig=env.cluster.kubeconfig, insecure=True, login_delay=(0.0, 0.0)
    )
    srv = BackgroundServer(config).start()
    try:
        second = repo.commit({"apps/tea/deploy.yaml": "kind: ConfigMap\n"})
        payload = copy.deepcopy(template)
        web_url = url.removesuffix(".git")
        payload["repository"].update(html_url=web_url, url=web_url, clone_url=url, default_branch="main")
        payload.update(ref="refs/heads/main", before=first, after=second, commits=[], head_commit=None)
        # The route's first call loads the webhook machinery; a ping warms it as a real provider's does.
        httpx.post(
            f"{srv.url}/api/webhook", json={"zen": "hi"}, headers={"X-GitHub-Event": "ping"}, timeout=10
        )
        sent = time.monotonic()
        resp = httpx.post(
            f"{srv.url}/api/webhook",
            content=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "X-GitHub-Event": "push"},
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        answered = time.monotonic() - sent
        # Far below the 180 s periodic regeneration: only the webhook explains it.
        env.wait(lambda: "app-tea" in env.apps(), "the app of the pushed directory", 60)
        took = time.monotonic() - sent
        print(f"webhook answered in {answered:.2f}s, app created {took:.2f}s after the push")
        assert took < 60
    finally:
        srv.stop()
