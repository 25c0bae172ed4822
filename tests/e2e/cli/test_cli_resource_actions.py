"""``argosy app actions list|run`` on a synced app, through the server and with ``--core``."""

from __future__ import annotations

import json

import yaml
from cli_support import Env

from support.gitrepo import GitRepo


def _deployment(name: str) -> dict[str, object]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "x:1"}]},
            },
        },
    }


def test_list_and_run_a_restart_from_the_cli(env: Env) -> None:
    repo = GitRepo(env.cli.config.with_name("actions.git"))
    repo.commit({"app/deploy.yaml": yaml.safe_dump_all([_deployment("web"), _deployment("api")])})
    dest = f"{env.namespace}-actions"
    env.cli.run("app", "create", "actions", "--repo", f"file://{repo.bare}", "--path", "app",
                "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", dest,
                "--sync-option", "CreateNamespace=true")  # fmt: skip
    env.cli.run("app", "sync", "actions", "--timeout", "120")

    listed = env.cli.run("app", "actions", "list", "actions", "--kind", "Deployment").stdout
    rows = [line.split() for line in listed.strip().splitlines()]
    assert rows[0] == ["GROUP", "KIND", "NAME", "ACTION", "DISABLED"]
    assert ["apps", "Deployment", "web", "resume", "true"] in rows and len(rows) == 7, listed
    core = env.core("app", "actions", "list", "actions", "--kind", "Deployment", "--resource-name", "api")
    assert [line.split()[3] for line in core.stdout.strip().splitlines()[1:]] == [
        "pause",
        "restart",
        "resume",
    ]

    many = env.cli.run("app", "actions", "run", "actions", "restart", "--kind", "Deployment", code=None)
    assert many.returncode != 0 and "--resource-name" in many.stderr
    done = env.cli.run("app", "actions", "run", "actions", "restart", "--kind", "Deployment",
                       "--resource-name", "web").stdout  # fmt: skip
    assert "Deployment web: action 'restart' done" in done
    live = json.loads(env.cluster.kubectl("get", "deployment", "web", "-n", dest, "-o", "json").stdout)
    assert "kubectl.kubernetes.io/restartedAt" in live["spec"]["template"]["metadata"]["annotations"]
    bad = env.cli.run("app", "actions", "run", "actions", "scale", "--kind", "Deployment",
                      "--resource-name", "web", code=None)  # fmt: skip
    assert bad.returncode != 0 and "no action 'scale'" in bad.stderr
