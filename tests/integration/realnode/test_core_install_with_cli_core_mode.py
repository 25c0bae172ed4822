"""``core-install.yaml`` + ``argosy login --core``: the headless install Argo CD documents.

The committed bundle is applied to namespace ``argocd`` of the session's ``real_cluster`` (its
ClusterRoleBinding names ``argocd``; the full ``install.yaml`` is the demo's test, on the demo's
own cluster, and the Helm chart installs into another namespace with suffixed cluster objects).
Only the application controller and the repo server run — no API server.
The CLI in core mode (the kubeconfig, an API server inside the CLI process) creates an
Application, lists it and requests a sync; the **in-cluster** controller, rendering through the
in-cluster repo server, brings it to Synced/Healthy and its web page answers on its NodePort;
``argosy app logs`` then reads the running container's log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from argosy.devcluster import image_set
from support.cluster import ClusterHandle
from support.git_server import GitHttpServer
from support.in_cluster import argosy_cli, http_get, not_ready, pods, rollout, web_app

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="real nodes need root")

ROOT = Path(__file__).resolve().parents[3]
NS = "argocd"


def test_core_install_runs_controller_and_repo_server_and_the_core_cli_syncs_an_app(
    real_cluster: ClusterHandle, tmp_path: Path
) -> None:
    c = real_cluster
    state = c.cluster.load_state()
    assert state is not None and state.network is not None
    plan = state.network
    # As docs/install.md says: build Argosy's image here and import it into the real node.
    loaded = subprocess.run(
        [sys.executable, "-m", "argosy", "dev", "images", "build", "--load", c.name],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert image_set.argosy_ref() in loaded.stdout

    c.kubectl("create", "namespace", NS)
    c.kubectl("apply", "-n", NS, "--server-side", "-f", str(ROOT / "manifests" / "core-install.yaml"))
    # Applied as committed: the Git server of this test is on the node network's gateway, a
    # private address, which the repo server's URL policy allows by default.
    rollout(c, NS, "deployment/argosy-repo-server", "statefulset/argosy-application-controller")
    running = pods(c, NS)
    assert not not_ready(running), not_ready(running)
    names = sorted(p["metadata"]["name"] for p in running)
    assert len(names) == 2 and names[0] == "argosy-application-controller-0", names
    assert names[1].startswith("argosy-repo-server-"), names
    services = c.kubectl("get", "services", "-n", NS, "-o", "name").stdout.split()
    assert "service/argosy-server" not in services

    # Core mode: the CLI reaches the cluster with the kubeconfig; no server, no password.
    config = tmp_path / "argosy-config"
    login = argosy_cli(config, "login", "--core", "--kubeconfig", str(c.kubeconfig))
    assert login.returncode == 0, login.stderr
    assert f"namespace '{NS}'" in login.stdout

    with GitHttpServer(tmp_path, host=plan.gateway) as git:
        repo = git.create_repo("apps")
        repo.commit(web_app("web"), "web v1")
        create = argosy_cli(
            config, "app", "create", "web", "--repo", git.url("apps"), "--path", "web",
            "--dest-server", "https://kubernetes.default.svc", "--dest-namespace", "web",
            "--sync-option", "CreateNamespace=true",
        )  # fmt: skip
        assert create.returncode == 0, create.stderr
        listed = argosy_cli(config, "app", "list", "-o", "name")
        assert listed.returncode == 0 and f"{NS}/web" in listed.stdout.split(), listed.stderr
        sync = argosy_cli(config, "app", "sync", "web", "--timeout", "240")
        assert sync.returncode == 0, sync.stdout + sync.stderr
        waited = argosy_cli(config, "app", "wait", "web", "--sync", "--health", "--timeout", "180")
        assert waited.returncode == 0, waited.stdout + waited.stderr

    got = json.loads(c.kubectl("get", "application", "web", "-n", NS, "-o", "json").stdout)
    assert got["status"]["sync"]["status"] == "Synced" and got["status"]["health"]["status"] == "Healthy"
    web_port = c.kubectl(
        "get", "service", "web", "-n", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"
    ).stdout
    assert "demo-web v1" in http_get(f"http://{plan.node(0).ip}:{web_port}/")

    # The web server's own log (busybox httpd -v: one line per request, the kubelet's readiness
    # probes and the request above), read from the real container through the kube-apiserver and
    # the kubelet, as the web UI's Logs tab reads it (the same API route).
    logs = argosy_cli(
        config,
        "app",
        "logs",
        "web",
        "--group",
        "apps",
        "--kind",
        "Deployment",
        "--name",
        "web",
        "--tail",
        "50",
    )
    assert logs.returncode == 0, logs.stderr
    assert "response:200" in logs.stdout, logs.stdout
