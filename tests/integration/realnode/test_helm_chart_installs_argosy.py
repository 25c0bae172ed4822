"""``helm install`` of ``charts/argosy`` installs the same Argosy as ``install.yaml``.

Into a fresh namespace of the session's ``real_cluster`` (beside ``install.yaml`` in ``argocd``),
with a ``clusterResourceSuffix`` of its own so its ClusterRoles and ClusterRoleBindings do not
take over the other installation's, ``server.insecure=true`` (plain HTTP, as behind an ingress)
and a NodePort Service: every Pod becomes Ready, the first start leaves the initial admin
password in ``argocd-initial-admin-secret``, it logs in over plain HTTP through the Service, and
an Application created through it is synced by the chart's controller to a page that answers.
``helm uninstall`` then removes the release's cluster-scoped objects.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

from argosy.devcluster import build, image_set
from argosy.devcluster.manifests import CHART
from support.cluster import ClusterHandle
from support.git_server import GitHttpServer
from support.in_cluster import argosy_cli, http_get, not_ready, pods, port_open, wait_for, web_app

ROOT = Path(__file__).resolve().parents[3]
RELEASE = "argosy"
# Not "web": the core-install test's app of that name may still run in this cluster, and with
# Argo CD's label tracking (app.kubernetes.io/instance=<app>) two apps of one name see each
# other's objects as their own.
APP = "helm-web"


def _helm(c: ClusterHandle, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The pinned helm against cluster ``c``, with its caches and config under ``home``."""
    env = {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    cmd = [str(build.binary("helm")), "--kubeconfig", str(c.kubeconfig), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=420, check=False, env=env)
    assert proc.returncode == 0, f"helm {' '.join(args)} failed: {proc.stdout}{proc.stderr}"
    return proc


def _cluster_scoped(c: ClusterHandle, suffix: str) -> list[str]:
    names = c.kubectl("get", "clusterroles,clusterrolebindings", "-o", "name").stdout.split()
    return [n for n in names if n.endswith(suffix)]


def test_helm_install_runs_every_component_and_logs_in_over_plain_http(
    real_cluster: ClusterHandle, tmp_path: Path
) -> None:
    c = real_cluster
    state = c.cluster.load_state()
    assert state is not None and state.network is not None
    node_ip = state.network.node(0).ip
    c.cluster.load_images([image_set.argosy_image()])
    ns = f"argosy-helm-{uuid.uuid4().hex[:6]}"
    suffix = f"-{ns}"
    values = [f"clusterResourceSuffix={suffix}", "server.insecure=true", "server.service.type=NodePort"]
    set_args = [arg for value in values for arg in ("--set", value)]
    _helm(c, tmp_path, "install", RELEASE, str(ROOT / CHART), "-n", ns, "--create-namespace", *set_args,
          "--wait", "--timeout", "5m")  # fmt: skip
    try:
        running = pods(c, ns)
        workloads = {p["metadata"]["name"].rsplit("-", 1)[0] for p in running}
        assert len(running) == 5, sorted(workloads)  # controller, repo server, server, appset, updater
        wait_for(f"every Pod of {ns} Ready", lambda: not not_ready(pods(c, ns)), 120)
        bindings = _cluster_scoped(c, suffix)
        assert (
            "clusterrolebinding.rbac.authorization.k8s.io/argosy-application-controller" + suffix in bindings
        )
        binding: dict[str, Any] = json.loads(
            c.kubectl("get", "clusterrolebinding", f"argosy-server{suffix}", "-o", "json").stdout
        )
        assert {s["namespace"] for s in binding["subjects"]} == {ns}

        secret = c.kubectl(
            "get", "secret", "argocd-initial-admin-secret", "-n", ns, "-o", "jsonpath={.data.password}"
        ).stdout
        password = base64.b64decode(secret).decode()
        assert password
        ports: list[dict[str, Any]] = json.loads(
            c.kubectl("get", "service", "argosy-server", "-n", ns, "-o", "jsonpath={.spec.ports}").stdout
        )
        http_port = next(p["nodePort"] for p in ports if p["port"] == 80)
        wait_for("kube-proxy serving the new NodePort", lambda: port_open(node_ip, http_port), 30)
        assert "Version" in http_get(f"http://{node_ip}:{http_port}/api/version")
        config = tmp_path / "argosy-config"
        login = argosy_cli(config, "login", f"{node_ip}:{http_port}", "--plaintext", "--username", "admin",
                           "--password", password)  # fmt: skip
        assert login.returncode == 0, login.stderr
        listed = argosy_cli(config, "app", "list", "-o", "name")
        assert listed.returncode == 0, listed.stderr

        # The chart's own controller and repo server deploy an app through its API server.
        dest = f"{ns}-web"
        with GitHttpServer(tmp_path, host=state.network.gateway) as git:
            git.create_repo("apps").commit(web_app("web"), "web v1")
            create = argosy_cli(
                config, "app", "create", APP, "--repo", git.url("apps"), "--path", "web",
                "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", dest,
                "--sync-option", "CreateNamespace=true",
            )  # fmt: skip
            assert create.returncode == 0, create.stderr
            sync = argosy_cli(config, "app", "sync", APP, "--timeout", "240")
            assert sync.returncode == 0, sync.stdout + sync.stderr
            waited = argosy_cli(config, "app", "wait", APP, "--sync", "--health", "--timeout", "240")
            if waited.returncode != 0:
                app = c.kubectl("get", "application", APP, "-n", ns, "-o", "jsonpath={.status}", check=False)
                seen = c.kubectl("get", "pods,events", "-n", dest, "-o", "wide", check=False)
                raise AssertionError(
                    f"{waited.stdout}{waited.stderr}\napp status: {app.stdout}\n{seen.stdout}"
                )
        web_port = c.kubectl(
            "get", "service", "web", "-n", dest, "-o", "jsonpath={.spec.ports[0].nodePort}"
        ).stdout
        wait_for("kube-proxy serving the web NodePort", lambda: port_open(node_ip, int(web_port)), 30)
        assert "demo-web v1" in http_get(f"http://{node_ip}:{web_port}/")
        deleted = argosy_cli(config, "app", "delete", APP, "--yes")
        assert deleted.returncode == 0, deleted.stderr
        gone = lambda: c.kubectl("get", "application", APP, "-n", ns, check=False).returncode != 0  # noqa: E731
        wait_for("the app deleted by the chart's controller (its finalizer)", gone, 120)
    finally:
        _helm(c, tmp_path, "uninstall", RELEASE, "-n", ns)  # deletes; Pods end with the namespace
        c.kubectl("delete", "namespace", ns, f"{ns}-web", "--wait=false", check=False)
    assert _cluster_scoped(c, suffix) == [], "helm uninstall left cluster-scoped objects"
