"""Browser fixtures: a real controller, repo server and API server on the local cluster, a real
Git server, and headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

Screenshots of each main screen go to ``ARGOSY_UI_SCREENSHOTS`` (default: the test's
temporary directory); they are test artifacts, never committed.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from ui_support import ARGOCD_CM, GUEST_POLICY, SECRET_VALUE, TEAM_POLICY, UiEnv

from argosy.repo import HttpRepoClient, RepoService
from argosy.repo.server import create_app as create_repo_server
from argosy.server.auth.lockout import LoginThrottle
from argosy.server.config import ServerConfig
from argosy.server.run import BackgroundServer
from argosy.server.webui import DIST
from support.cluster import ClusterHandle
from support.controller import RunningController
from support.git_server import GitHttpServer

CHROMIUM = "/usr/bin/chromium"

_CM = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{{data}}}\n"
APP_FILES = {
    "web/config.yaml": _CM.format(name="web-config", data="greeting: hello"),
    "web/extra.yaml": _CM.format(name="web-extra", data="colour: blue"),
    "secret/secret.yaml": "apiVersion: v1\nkind: Secret\nmetadata: {name: web-secret}\n"
    f"data: {{password: {base64.b64encode(SECRET_VALUE.encode()).decode()}}}\n",
    "deploy/web.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 0\n"
    "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
    "    spec: {containers: [{name: web, image: 'registry.local/web:1'}]}\n",
    # A PreSync hook that never completes on kwok's nodes (their Pods run but never succeed), so a
    # sync of this path keeps Running until it is terminated.
    "hook/job.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: wait-forever\n  annotations:\n"
    "    argocd.argoproj.io/hook: PreSync\n    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation\n"
    "spec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n"
    "      containers: [{name: wait, image: busybox, command: [sleep, infinity]}]\n",
    # More ConfigMaps than the tree draws one by one (GROUP_OVER in ResourceTree.tsx): one group node.
    **{f"many/cm-{i}.yaml": _CM.format(name=f"many-{i}", data=f"n: '{i}'") for i in range(12)},
    # A Deployment whose Pod's logs the logs test reads (kwok's ClusterLogs file).
    "logs/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web-logs}\n"
    "spec: {replicas: 1, selector: {matchLabels: {app: web-logs}}, template: {metadata: {labels: "
    "{app: web-logs}}, spec: {containers: [{name: main, image: nginx}]}}}\n",
}


@pytest.fixture(scope="module")
def repo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``argosy repo-server``'s app on a loopback port (the controller and API server render through it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    service = RepoService(tmp_path_factory.mktemp("repo-server"))
    server = uvicorn.Server(
        uvicorn.Config(create_repo_server(service), host="127.0.0.1", port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the repo server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def ui_env(
    cluster: ClusterHandle,
    git_server: GitHttpServer,
    repo_server: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[UiEnv]:
    if not (DIST / "index.html").is_file():
        pytest.fail("the web UI is not built: run dev/setup.sh (npm ci && npm run build in ui/)")
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run dev/setup.sh (it installs Debian's chromium)")
    tmp = tmp_path_factory.mktemp("ui")
    name = f"ui-{os.getpid()}-{int(time.time())}"
    repo = git_server.create_repo(name)
    repo.commit(APP_FILES)
    ctl = RunningController(cluster, tmp / "repo-cache")
    ctl.repo = HttpRepoClient(repo_server)  # type: ignore[assignment]
    ctl.start(argocd_cm=dict(ARGOCD_CM))
    rbac = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-rbac-cm"}}
    rbac["data"] = {"policy.csv": GUEST_POLICY + TEAM_POLICY}
    cluster.kubectl("apply", "-n", ctl.namespace, "-f", "-", stdin=json.dumps(rbac))
    config = ServerConfig(
        namespace=ctl.namespace,
        kubeconfig=cluster.kubeconfig,
        insecure=True,
        login_delay=(0.0, 0.0),
        throttle=LoginThrottle(max_failures=50, window_seconds=60),
        repo_server=repo_server,
    )
    server = BackgroundServer(config).start()
    out = cluster.kubectl(
        "get", "secret", "argocd-initial-admin-secret", "-n", ctl.namespace, "-o", "jsonpath={.data.password}"
    ).stdout
    shots = Path(os.environ.get("ARGOSY_UI_SCREENSHOTS") or tmp / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    try:
        yield UiEnv(cluster, ctl, server, git_server.url(name), repo, base64.b64decode(out).decode(), shots)
    finally:
        server.stop()
        ctl.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()
