"""The README's demo runs the getting-started tutorial in-cluster: Argosy installed from
``manifests/install.yaml`` on a real node, the printed login works (a wrong password does not),
``simple-app`` is Synced and Healthy and its page (demo-web v1) answers on its NodePort, and, as the
tutorial goes on behind an ingress, ``server.insecure: "true"`` in ``argocd-cmd-params-cm`` plus a
restart switches the in-cluster server to plain HTTP; ``demo down`` leaves nothing running.

This is the suite's test of ``install.yaml`` on a real node (every component's Pod Ready from the
locally built image, the in-cluster repo server and controller syncing an app)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from argosy import procstat
from argosy.devcluster.cluster import kubectl


def _argosy(*args: str, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "argosy", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def _password(login_args: str) -> str:
    args = shlex.split(login_args)
    return args[args.index("--password") + 1]


@pytest.fixture
def state_dir() -> Iterator[Path]:
    """A state dir of its own (a developer's running demo is left alone), short enough for the
    node's containerd socket path (108 bytes at most)."""
    path = Path(tempfile.mkdtemp(prefix="argosy-demo-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.timeout(1200)  # the first build of the argosy image alone takes a few minutes
def test_demo_installs_argosy_in_cluster_logs_in_and_serves_simple_app(state_dir: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the demo runs a real node: network namespaces, mounts and cgroups need root")
    env = {**os.environ, "ARGOSY_STATE_DIR": str(state_dir)}
    try:
        up = _argosy("dev", "demo", "up", "--timeout", "300", env=env, timeout=1100)
        assert up.returncode == 0, up.stdout + up.stderr
        for step in ("kubectl create namespace argocd", "--server-side --force-conflicts -f", "app sync"):
            assert step in up.stderr, up.stderr
        assert "Synced and Healthy" in up.stdout

        page = re.search(r"web page:\s+(http://\S+)", up.stdout)
        assert page, up.stdout
        with urllib.request.urlopen(page.group(1), timeout=10) as response:
            html = response.read().decode()
        assert '<span id="version">v1</span>' in html, html

        login = re.search(r"login:\s+argosy (.+)$", up.stdout, re.M)
        assert login, up.stdout
        relogin = _argosy(*shlex.split(login.group(1)), env=env, timeout=120)
        assert relogin.returncode == 0, relogin.stderr
        config = shlex.split(login.group(1))[1]
        got = _argosy("--config", config, "app", "get", "simple-app", "-o", "json", env=env, timeout=60)
        assert got.returncode == 0, got.stderr
        status = json.loads(got.stdout)["status"]
        assert (status["sync"]["status"], status["health"]["status"]) == ("Synced", "Healthy")
        wrong = [
            a if a != _password(login.group(1)) else "not-the-password" for a in shlex.split(login.group(1))
        ]
        wrong[wrong.index("--config") + 1] = str(state_dir / "other-config")
        assert _argosy(*wrong, env=env, timeout=120).returncode != 0

        # Behind an ingress: plain HTTP once server.insecure is set and the server restarted.
        kubeconfig = state_dir / "clusters" / "demo" / "kubeconfig"
        insecure = json.dumps({"data": {"server.insecure": "true"}})
        kubectl(kubeconfig, "patch", "configmap", "argocd-cmd-params-cm", "-n", "argocd", "-p", insecure)
        kubectl(kubeconfig, "rollout", "restart", "deployment/argosy-server", "-n", "argocd")
        kubectl(
            kubeconfig,
            "rollout",
            "status",
            "deployment/argosy-server",
            "-n",
            "argocd",
            "--timeout=240s",
            timeout=300,
        )
        node_ip = urllib.parse.urlsplit(page.group(1)).hostname
        http_port = kubectl(
            kubeconfig, "get", "service", "argosy-server", "-n", "argocd",
            "-o", "jsonpath={.spec.ports[?(@.port==80)].nodePort}",
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://{node_ip}:{http_port}/api/version", timeout=5) as r:
                    assert "Version" in r.read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server never answered plain HTTP"
                time.sleep(1)
        plain_login = (
            "--config", str(state_dir / "plain-config"), "login", f"{node_ip}:{http_port}",
            "--username", "admin", "--password", _password(login.group(1)), "--plaintext",
        )  # fmt: skip
        plain = _argosy(*plain_login, env=env, timeout=120)
        if "cannot reach" in plain.stderr:
            # Seen once with another real-node cluster up: the node's address did not answer for a
            # moment right after it had. Record the host's view, then try once more.
            neigh = subprocess.run(["ip", "neigh"], capture_output=True, text=True).stdout
            print(f"login could not connect: {plain.stderr.strip()}\nip neigh:\n{neigh}")
            time.sleep(3)
            plain = _argosy(*plain_login, env=env, timeout=120)
        assert plain.returncode == 0, plain.stderr
        git_daemon = json.loads((state_dir / "demo" / "state.json").read_text())["git-daemon"]
    finally:
        down = _argosy("dev", "demo", "down", env=env, timeout=300)
    assert down.returncode == 0, down.stderr
    assert procstat.start_time(git_daemon["pid"]) != git_daemon["start_time"], "git daemon still runs"
    assert not (state_dir / "clusters" / "demo").exists()
    netns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    assert "argosy-demo-0" not in netns, "the real node's network namespace is left"
    status_after = _argosy("dev", "cluster", "status", "demo", env=env, timeout=60)
    assert status_after.returncode == 3, status_after.stdout
    again = _argosy("dev", "demo", "down", env=env, timeout=120)
    assert again.returncode == 0, "demo down when down must not fail"
