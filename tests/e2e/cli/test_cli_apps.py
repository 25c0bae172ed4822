"""``argosy app`` end to end: create, list, get, set, sync, diff, manifests, wait, delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cli_support import Env

from support.controller import health_status, sync_status
from support.gitrepo import GitRepo

CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "chart/values.yaml": "replicas: 1\nimage:\n  repository: registry.example/web\n  tag: v1\n",
    "chart/templates/deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
""",
    "chart/templates/cm.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  greeting: hello
""",
    "broken/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Not_A_Valid_Name\ndata: {a: b}\n",
    "shared/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared-config\ndata: {a: b}\n",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    git = GitRepo(tmp_path_factory.mktemp("git") / "apps.git")
    git.commit(CHART)
    return git


def _rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


def _create(env: Env, name: str, repo: GitRepo, *extra: str, path: str = "chart") -> str:
    dest = f"{env.namespace}-{name}"
    env.cli.run(
        "app",
        "create",
        name,
        "--repo",
        f"file://{repo.bare}",
        "--path",
        path,
        "--dest-server",
        "https://kubernetes.default.svc",
        "--dest-namespace",
        dest,
        "--sync-option",
        "CreateNamespace=true",
        *extra,
    )
    return dest


def _spec(env: Env, name: str) -> dict[str, Any]:
    return dict(env.ctl.app(name)["spec"])


def test_create_list_sync_get_and_diff(env: Env, repo: GitRepo) -> None:
    dest = _create(env, "web", repo)
    env.ctl.wait_app("web", lambda a: sync_status(a) == "OutOfSync", "compared once")
    rows = _rows(env.cli.run("app", "list").stdout)
    assert rows[0] == [
        "NAME",
        "CLUSTER",
        "NAMESPACE",
        "PROJECT",
        "STATUS",
        "HEALTH",
        "SYNCPOLICY",
        "CONDITIONS",
        "REPO",
        "PATH",
        "TARGET",
    ]
    web = next(r for r in rows if r[0] == f"{env.namespace}/web")
    assert web[1:8] == [
        "https://kubernetes.default.svc",
        dest,
        "default",
        "OutOfSync",
        "Missing",
        "Manual",
        "<none>",
    ]
    assert web[8:] == [f"file://{repo.bare}", "chart"]  # no target revision given
    assert env.cli.run("app", "list", "-o", "name").stdout.split() == [f"{env.namespace}/web"]
    assert json.loads(env.cli.run("app", "get", "web", "-o", "json").stdout)["metadata"]["name"] == "web"

    synced = env.cli.run("app", "sync", "web", "--timeout", "120")
    assert "Phase:              Succeeded" in synced.stdout, synced.stdout
    assert "web-web" in synced.stdout  # the per-resource results of the sync
    env.ctl.wait_app("web", lambda a: sync_status(a) == "Synced" and health_status(a) == "Healthy", "synced")
    web = next(r for r in _rows(env.cli.run("app", "list").stdout) if r[0] == f"{env.namespace}/web")
    assert web[4:6] == ["Synced", "Healthy"]
    got = env.cli.run("app", "get", "web").stdout
    assert "Sync Status:        Synced to HEAD" in got and "Health Status:      Healthy" in got
    assert "SyncWindow:         Sync Allowed" in got
    assert any(r[:4] == ["apps", "Deployment", dest, "web-web"] for r in _rows(got.split("GROUP", 1)[1]))
    assert "0" in env.cli.run("app", "history", "web").stdout.split()
    resources = _rows(env.cli.run("app", "resources", "web").stdout)
    assert ["apps", "Deployment", dest, "web-web", "No"] in resources

    assert env.core("app", "diff", "web").stdout == ""
    assert env.cli.run("app", "diff", "web").stdout == ""
    env.cluster.kubectl("scale", "deployment", "web-web", "-n", dest, "--replicas=3")
    env.ctl.wait_app("web", lambda a: sync_status(a) == "OutOfSync", "drift seen")
    expected = f"===== apps/Deployment {dest}/web-web ======\n@@ /spec/replicas @@\n< 3\n> 1"
    for drift in (
        env.core("app", "diff", "web", code=1).stdout,
        env.cli.run("app", "diff", "web", code=1).stdout,
    ):
        assert expected in drift and "web-config" not in drift


def test_set_sync_policy_prune_and_self_heal(env: Env, repo: GitRepo) -> None:
    _create(env, "policy", repo)
    env.cli.run("app", "set", "policy", "--sync-policy", "automated")
    assert _spec(env, "policy")["syncPolicy"]["automated"] == {}
    env.cli.run("app", "set", "policy", "--auto-prune", "--self-heal")
    assert _spec(env, "policy")["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    row = next(r for r in _rows(env.cli.run("app", "list").stdout) if r[0].endswith("/policy"))
    assert row[6] == "Auto-Prune"
    env.cli.run("app", "set", "policy", "--no-self-heal")
    assert _spec(env, "policy")["syncPolicy"]["automated"] == {"prune": True, "selfHeal": False}
    env.cli.run("app", "set", "policy", "--sync-policy", "none")
    assert "automated" not in (_spec(env, "policy").get("syncPolicy") or {})
    refused = env.cli.run("app", "set", "policy", "--auto-prune", code=20)
    assert "--sync-policy automated" in refused.stderr


def test_parameter_changes_the_rendered_image(env: Env, repo: GitRepo) -> None:
    _create(env, "param", repo)
    env.ctl.wait_app("param", lambda a: a.get("status", {}).get("sourceType") == "Helm", "rendered as Helm")
    before = env.cli.run("app", "manifests", "param").stdout  # rendered by the server
    assert "image: registry.example/web:v1" in before
    assert env.core("app", "manifests", "param").stdout == before  # and the same without it
    env.cli.run("app", "set", "param", "--parameter", "image.tag=v2")
    assert _spec(env, "param")["source"]["helm"]["parameters"] == [{"name": "image.tag", "value": "v2"}]
    after = env.cli.run("app", "manifests", "param").stdout
    assert "image: registry.example/web:v2" in after and ":v1" not in after
    assert "image: registry.example/web:v2" in env.core("app", "manifests", "param").stdout
    env.cli.run("app", "unset", "param", "--parameter", "image.tag")
    assert "helm" not in _spec(env, "param")["source"]
    assert "image: registry.example/web:v1" in env.cli.run("app", "manifests", "param").stdout


def test_failed_sync_and_wait_timeout_exit_non_zero(env: Env, repo: GitRepo) -> None:
    _create(env, "broken", repo, path="broken")
    env.ctl.wait_app("broken", lambda a: sync_status(a) in ("OutOfSync", "Unknown"), "compared once")
    failed = env.cli.run("app", "sync", "broken", "--timeout", "120", code=1)
    assert "Operation has completed with phase: Failed" in failed.stderr, failed.stderr + failed.stdout
    waited = env.cli.run("app", "wait", "broken", "--sync", "--timeout", "2", code=1)
    assert "timed out (2s) waiting for app 'broken'" in waited.stderr
    missing = env.cli.run("app", "get", "no-such-app", code=20)
    assert "no-such-app" in missing.stderr


def test_create_from_file_and_delete(env: Env, repo: GitRepo, tmp_path: Path) -> None:
    manifest = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "fromfile"},
        "spec": {
            "project": "default",
            "source": {"repoURL": f"file://{repo.bare}", "path": "chart"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{env.namespace}-ff"},
        },
    }
    path = tmp_path / "app.yaml"
    path.write_text(json.dumps(manifest))
    env.cli.run("app", "create", "-f", str(path), "--revision", "main")
    assert _spec(env, "fromfile")["source"]["targetRevision"] == "main"
    env.cli.run("app", "delete", "fromfile", "--yes")
    env.cluster.kubectl("wait", "--for=delete", "application/fromfile", "-n", env.namespace, "--timeout=60s")


def test_delete_shows_what_it_deletes_and_keeps_another_app_s_objects(env: Env, repo: GitRepo) -> None:
    dest = _create(env, "keeper", repo, "--sync-policy", "automated", path="shared")
    env.ctl.wait_app("keeper", lambda a: sync_status(a) == "Synced", "keeper synced", 120)
    env.cli.run(
        "app", "create", "prober", "--repo", f"file://{repo.bare}", "--path", "shared",
        "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", dest,
    )  # fmt: skip
    env.ctl.wait_app("prober", lambda a: bool(a.get("status", {}).get("resources")), "prober compared")
    uid = env.cluster.kubectl(
        "get", "cm", "shared-config", "-n", dest, "-o", "jsonpath={.metadata.uid}"
    ).stdout

    for config in (None, env.core_config):  # through the server, then with --core
        cancelled = env.cli.run("app", "delete", "prober", stdin="n\n", config=config)
        assert "deletes 0 and keeps 1 resource(s)" in cancelled.stdout, cancelled.stdout
        keep = next(r for r in _rows(cancelled.stdout) if "shared-config" in r)
        assert keep[:4] == ["KEEP", "ConfigMap", dest, "shared-config"], keep
        assert "belongs to application 'keeper'" in " ".join(keep)
        assert "was cancelled" in cancelled.stdout

    env.cli.run("app", "delete", "prober", "--yes")
    env.cluster.kubectl("wait", "--for=delete", "application/prober", "-n", env.namespace, "--timeout=60s")
    after = env.cluster.kubectl("get", "cm", "shared-config", "-n", dest, "-o", "jsonpath={.metadata.uid}")
    assert after.stdout == uid
    assert sync_status(env.ctl.refresh("keeper") or {}) == "Synced"
