"""Helpers for tests that install Argosy into a cluster with a real node and drive it with the CLI:
waiting on workloads and Pods, running ``argosy`` as a user would, and a tiny web app to sync."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from argosy.devcluster import image_set
from support.cluster import ClusterHandle


def wait_for(what: str, check: Callable[[], bool], timeout: float) -> None:
    """Poll ``check`` every second; fail naming ``what`` when it is still false after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s: {what}"
        time.sleep(1)


def argosy_cli(
    config: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``argosy --config CONFIG ARGS`` in a new process, as a user runs it (``env`` adds variables).
    Killed after 300 s: longer than the ``--timeout`` the tests give sync and wait (240 s at most),
    so a command that times out says so, with the app's state, instead of being killed silently."""
    return subprocess.run(
        [sys.executable, "-m", "argosy", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


def rollout(c: ClusterHandle, namespace: str, *workloads: str) -> None:
    for workload in workloads:
        c.kubectl("rollout", "status", "-n", namespace, workload, "--timeout=240s")


def pods(c: ClusterHandle, namespace: str) -> list[dict[str, Any]]:
    """The Pods of ``namespace`` that are not being deleted."""
    items: list[dict[str, Any]] = json.loads(c.kubectl("get", "pods", "-n", namespace, "-o", "json").stdout)[
        "items"
    ]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def not_ready(items: list[dict[str, Any]]) -> list[str]:
    """Names (and phases) of the Pods without a true Ready condition."""
    return [
        f"{p['metadata']['name']} ({p['status'].get('phase')})"
        for p in items
        if not any(
            cond["type"] == "Ready" and cond["status"] == "True" for cond in p["status"].get("conditions", [])
        )
    ]


def port_open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def http_get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as r:
        return str(r.read().decode())


def app_status(config: Path, app: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    """(sync status, health status) of ``app`` as ``argosy app get`` shows it ("" when unknown)."""
    got = argosy_cli(config, "app", "get", app, "-o", "json", env=env)
    if got.returncode != 0:
        return "", ""
    status = json.loads(got.stdout).get("status") or {}
    return (status.get("sync") or {}).get("status", ""), (status.get("health") or {}).get("status", "")


def web_app(repo_dir: str) -> dict[str, str | None]:
    """Files of a Git repository: the demo web server (v1, readiness probe) and a NodePort Service."""
    port = image_set.DEMO_WEB_PORT
    container = {
        "name": "web",
        "image": f"{image_set.DEMO_WEB_REPO}:v1",
        "ports": [{"containerPort": port}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": port}},
    }
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}},
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"type": "NodePort", "selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": port}]},
    }
    return {
        f"{repo_dir}/deployment.yaml": yaml.safe_dump(deployment),
        f"{repo_dir}/service.yaml": yaml.safe_dump(service),
    }
