"""End-to-end fixtures: a control plane with a running controller and API server, and the CLI.

The CLI runs as a subprocess (``python -m argosy``) with its own config file
(``ARGOSY_CONFIG``), exactly as a user runs it; the controller runs
in-process and the API server on a loopback port, both on the session's local
cluster, in a control-plane namespace of their own.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from cli_support import Cli, Env

from argosy.server.auth.lockout import LoginThrottle
from argosy.server.config import ServerConfig
from argosy.server.run import BackgroundServer
from support.cluster import ClusterHandle
from support.controller import RunningController

ARGOCD_CM = {"accounts.alice": "login"}


def _secret_value(cluster: ClusterHandle, namespace: str, name: str, key: str) -> str:
    out = cluster.kubectl("get", "secret", name, "-n", namespace, "-o", f"jsonpath={{.data.{key}}}").stdout
    return base64.b64decode(out).decode()


@pytest.fixture(scope="module")
def env(cluster: ClusterHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    tmp = tmp_path_factory.mktemp("cli")
    ctl = RunningController(cluster, tmp / "repo-cache").start(argocd_cm=dict(ARGOCD_CM))
    config = ServerConfig(
        namespace=ctl.namespace,
        kubeconfig=cluster.kubeconfig,
        insecure=True,
        login_delay=(0.0, 0.0),
        throttle=LoginThrottle(max_failures=50, window_seconds=60),
    )
    server = BackgroundServer(config).start()
    try:
        password = _secret_value(cluster, ctl.namespace, "argocd-initial-admin-secret", "password")
        cli = Cli(tmp / "config", cluster.kubeconfig)
        address = f"127.0.0.1:{server.port}"
        out = cli.run("login", address, "--plaintext", "--username", "admin", "--password", password).stdout
        assert "'admin:login' logged in successfully" in out
        core_config = tmp / "core-config"
        cli.run("login", "--core", "--namespace", ctl.namespace, config=core_config)
        yield Env(cluster, ctl, server, cli, core_config, password)
    finally:
        server.stop()
        ctl.stop()
