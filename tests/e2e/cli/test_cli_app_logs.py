"""``argosy app logs``: a synced app's Pod logs, through the server and with ``--core``.

The Deployment comes from Git and is synced by the controller; its Pod runs
on a kwok node, whose ``ClusterLogs`` file the kube-apiserver reads through
kwok's kubelet port (see tests/integration/server/test_pod_logs_live.py).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import yaml
from cli_support import Env

from support.gitrepo import GitRepo

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{"name": "main", "image": "nginx"}]},
        },
    },
}


def test_app_logs_of_a_deployment_with_and_without_a_server(env: Env) -> None:
    repo = GitRepo(env.cli.config.with_name("logs.git"))
    repo.commit({"app/web.yaml": yaml.safe_dump(DEPLOYMENT)})
    dest = f"{env.namespace}-logs"
    env.cli.run("app", "create", "logs", "--repo", f"file://{repo.bare}", "--path", "app",
                "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", dest,
                "--sync-option", "CreateNamespace=true")  # fmt: skip
    env.cli.run("app", "sync", "logs", "--timeout", "120")
    deadline = time.monotonic() + 60
    while True:
        pods = env.cluster.kubectl("get", "pods", "-n", dest, "-o", "json").stdout
        if any(p["status"].get("phase") == "Running" for p in json.loads(pods)["items"]):
            break
        assert time.monotonic() < deadline, pods
        time.sleep(0.3)

    marker = uuid.uuid4().hex[:6]
    with env.cluster.cluster.pod_logs_file.open("a") as out:
        for word in ("one", "two", "three"):
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
            out.write(f"{stamp} stdout F {marker} {word}\n")
    for run in (env.cli.run, env.core):
        out = run("app", "logs", "logs", "--kind", "Deployment", "--group", "apps", "--name", "web",
                  "--tail", "2").stdout  # fmt: skip
        assert out.splitlines() == [f"{marker} two", f"{marker} three"], out
    refused = env.cli.run("app", "logs", "logs", "--kind", "Pod", "--name", "nobodys", code=20)
    assert "pod 'nobodys'" in refused.stderr and "not a resource of application 'logs'" in refused.stderr
