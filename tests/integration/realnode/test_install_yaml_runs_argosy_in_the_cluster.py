"""The tutorial's install, for real: ``kubectl apply -n argocd -f manifests/install.yaml`` on a
cluster with a real node runs every Argosy component from the locally built image.

Then, as the tutorial goes on: the admin password is read from ``argocd-initial-admin-secret``
and logs in through the server's Service (NodePort on the node, HTTPS with the self-signed
certificate), an Application created through the API is synced by the **in-cluster**
controller with manifests rendered by the in-cluster repo server from a Git server, its web
page answers on its NodePort, and ``server.insecure: "true"`` in ``argocd-cmd-params-cm`` plus a
restart switches the server to plain HTTP.
"""

from __future__ import annotations

import base64
import json
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
from support.git_server import GitHttpServer

ROOT = Path(__file__).resolve().parents[3]
NS = "argocd"


def _wait(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f}s: {what}"
        time.sleep(1)


def _argosy(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "argosy", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _rollout(c: ClusterHandle, *workloads: str) -> None:
    for workload in workloads:
        c.kubectl("rollout", "status", "-n", NS, workload, "--timeout=240s")


def _web_app(repo_dir: str) -> dict[str, str | None]:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": f"{image_set.DEMO_WEB_REPO}:v1",
                            "ports": [{"containerPort": image_set.DEMO_WEB_PORT}],
                            "readinessProbe": {
                                "httpGet": {"path": "/healthz", "port": image_set.DEMO_WEB_PORT}
                            },
                        }
                    ]
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {
            "type": "NodePort",
            "selector": {"app": "web"},
            "ports": [{"port": 80, "targetPort": image_set.DEMO_WEB_PORT}],
        },
    }
    return {
        f"{repo_dir}/deployment.yaml": yaml.safe_dump(deployment),
        f"{repo_dir}/service.yaml": yaml.safe_dump(service),
    }


def _open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as r:
        return str(r.read().decode())


def test_install_yaml_login_sync_by_the_in_cluster_controller_and_insecure_mode(
    real_cluster: ClusterHandle, tmp_path: Path
) -> None:
    c = real_cluster
    state = c.cluster.load_state()
    assert state is not None and state.network is not None
    plan = state.network
    node_ip = plan.node(0).ip
    c.cluster.load_images([image_set.argosy_image()])

    # The tutorial's two commands.
    c.kubectl("create", "namespace", NS)
    c.kubectl(
        "apply",
        "-n",
        NS,
        "--server-side",
        "--force-conflicts",
        "-f",
        str(ROOT / "manifests" / "install.yaml"),
    )
    # Argosy's repo server fetches only from allowed networks (a guard Argo CD lacks): the Git
    # server of this test listens on the node network's gateway.
    patch = {"data": {"reposerver.allowed.networks": plan.node_network}}
    c.kubectl("patch", "configmap", "argocd-cmd-params-cm", "-n", NS, "--type=merge", "-p", json.dumps(patch))
    c.kubectl("rollout", "restart", "deployment/argosy-repo-server", "-n", NS)
    _rollout(
        c,
        "deployment/argosy-repo-server",
        "deployment/argosy-server",
        "deployment/argosy-applicationset-controller",
        "statefulset/argosy-application-controller",
    )
    pods = json.loads(c.kubectl("get", "pods", "-n", NS, "-o", "json").stdout)["items"]
    assert pods and all(
        any(
            cond["type"] == "Ready" and cond["status"] == "True" for cond in p["status"].get("conditions", [])
        )
        for p in pods
        if not p["metadata"].get("deletionTimestamp")
    ), [(p["metadata"]["name"], p["status"].get("phase")) for p in pods]

    # First login with the generated password, through the server's Service.
    secret = c.kubectl(
        "get", "secret", "argocd-initial-admin-secret", "-n", NS, "-o", "jsonpath={.data.password}"
    ).stdout
    password = base64.b64decode(secret).decode()
    c.kubectl("patch", "service", "argosy-server", "-n", NS, "-p", '{"spec": {"type": "NodePort"}}')
    ports: list[dict[str, Any]] = json.loads(
        c.kubectl("get", "service", "argosy-server", "-n", NS, "-o", "jsonpath={.spec.ports}").stdout
    )
    https_port = next(p["nodePort"] for p in ports if p["port"] == 443)
    http_port = next(p["nodePort"] for p in ports if p["port"] == 80)
    _wait("kube-proxy serving the new NodePort", lambda: _open(node_ip, https_port), 30)
    config = tmp_path / "argosy-config"
    login = _argosy(
        config,
        "login",
        f"{node_ip}:{https_port}",
        "--username",
        "admin",
        "--password",
        password,
        "--insecure",
    )
    assert login.returncode == 0, login.stderr
    wrong = _argosy(tmp_path / "other", "login", f"{node_ip}:{https_port}", "--username", "admin",
                    "--password", "not-it", "--insecure")  # fmt: skip
    assert wrong.returncode != 0

    # An app, rendered by the in-cluster repo server and synced by the in-cluster controller.
    with GitHttpServer(tmp_path, host=plan.gateway) as git:
        repo = git.create_repo("apps")
        repo.commit(_web_app("web"), "web v1")
        create = _argosy(
            config, "app", "create", "web", "--repo", git.url("apps"), "--path", "web",
            "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", "web",
            "--sync-policy", "automated", "--sync-option", "CreateNamespace=true",
        )  # fmt: skip
        assert create.returncode == 0, create.stderr

        def synced_and_healthy() -> bool:
            got = _argosy(config, "app", "get", "web", "-o", "json")
            if got.returncode != 0:
                return False
            status = json.loads(got.stdout).get("status") or {}
            return (status.get("sync") or {}).get("status") == "Synced" and (status.get("health") or {}).get(
                "status"
            ) == "Healthy"

        _wait("the app Synced and Healthy by the in-cluster controller", synced_and_healthy, 240)
    web_port = c.kubectl(
        "get", "service", "web", "-n", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"
    ).stdout
    assert "demo-web v1" in _get(f"http://{node_ip}:{web_port}/")

    # Behind an ingress: plain HTTP after server.insecure and a restart, as the tutorial does.
    insecure = {"data": {"server.insecure": "true"}}
    c.kubectl(
        "patch", "configmap", "argocd-cmd-params-cm", "-n", NS, "--type=merge", "-p", json.dumps(insecure)
    )
    c.kubectl("rollout", "restart", "deployment/argosy-server", "-n", NS)
    _rollout(c, "deployment/argosy-server")

    def plain_http() -> bool:
        try:
            return "Version" in _get(f"http://{node_ip}:{http_port}/api/version")
        except OSError:
            return False

    _wait("the server answering plain HTTP", plain_http, 60)
    relogin = _argosy(
        config,
        "login",
        f"{node_ip}:{http_port}",
        "--username",
        "admin",
        "--password",
        password,
        "--plaintext",
    )
    assert relogin.returncode == 0, relogin.stderr
    listed = _argosy(config, "app", "list", "-o", "name")
    assert "web" in listed.stdout, listed.stderr
