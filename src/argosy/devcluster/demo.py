"""The README's demo: the getting-started tutorial, in-cluster, on a local cluster with a real node.

``up`` does what a newcomer does with Argo CD, printing each step and its time:

1. builds the images (pause, busybox, demo-web v1..v4 and the ``argosy`` image, whose first
   build takes a few minutes) and starts cluster ``demo`` with one real node;
2. ``kubectl create namespace argocd`` and ``kubectl apply -n argocd --server-side
   --force-conflicts -f manifests/install.yaml`` from this checkout, and waits for every rollout;
3. reads the admin password from ``argocd-initial-admin-secret``, exposes ``argosy-server`` as a
   NodePort and runs ``argosy login`` into a demo-only client config (``<state>/demo/config``:
   the user's ``~/.config/argosy/config`` is left alone);
4. serves a Git repository holding the tutorial's ``simple-app`` Helm chart with ``git daemon``
   on the node network's gateway (Pods reach the host there, not on loopback), then
   ``argosy app create simple-app ... --sync-option CreateNamespace=true``, ``argosy app sync``
   and ``argosy app wait``;
5. fetches the app's page through its NodePort.

Real nodes need root. The bundles and the argosy image come from the source checkout (an
editable install, as ``dev/setup.sh`` makes); a wheel install has neither, and says so.
``down`` stops the git daemon (by PID and start time) and the cluster (which removes the node).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argosy import procstat
from argosy.devcluster import image_set
from argosy.devcluster.cluster import ClusterError, LocalCluster, kubectl
from argosy.devcluster.paths import checkout_dir, state_dir
from argosy.devcluster.ports import free_ports

CLUSTER = "demo"
NAMESPACE = "argocd"
APP = "simple-app"
REPO = "demo.git"
WORKLOADS = (
    "deployment/argosy-repo-server",
    "deployment/argosy-server",
    "deployment/argosy-applicationset-controller",
    "statefulset/argosy-application-controller",
)
# The tutorial's chart: demo-web (one coffee cup per version) behind a NodePort Service.
CHART = {
    "Chart.yaml": f"apiVersion: v2\nname: {APP}\ndescription: The Argosy tutorial's web app\n"
    "version: 0.1.0\nappVersion: v1\n",
    "values.yaml": f"replicaCount: 1\nimage:\n  repository: {image_set.DEMO_WEB_REPO}\n  tag: v1\n",
    "templates/deployment.yaml": f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{{{ .Release.Name }}}}
spec:
  replicas: {{{{ .Values.replicaCount }}}}
  selector:
    matchLabels: {{app: {{{{ .Release.Name }}}}}}
  template:
    metadata:
      labels: {{app: {{{{ .Release.Name }}}}}}
    spec:
      containers:
        - name: web
          image: "{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag }}}}"
          imagePullPolicy: IfNotPresent
          ports: [{{name: http, containerPort: {image_set.DEMO_WEB_PORT}}}]
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
""",
    "templates/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  type: NodePort
  selector: {app: {{ .Release.Name }}}
  ports: [{name: http, port: 80, targetPort: http}]
""",
}
Say = Callable[[str], None]


class DemoError(RuntimeError):
    """A step of the demo failed; the message names the step and shows what the tool said."""


@dataclass
class DemoResult:
    """What ``up`` prints at the end: where the UI and the app are, and how to log in."""

    ui_url: str
    password: str
    config: Path
    login_command: str
    app_url: str
    page_title: str
    app: dict[str, Any]


def demo_dir() -> Path:
    return state_dir() / "demo"


def require_root() -> None:
    if os.geteuid() != 0:
        raise DemoError(
            "the demo runs Argosy in a local cluster with a real node (kubelet and containerd in a "
            "network namespace, with mounts and cgroups) and builds the argosy image with "
            "debootstrap and chroot: all of that needs root. Run it as root, e.g. `sudo dev/demo.sh`"
        )


def install_yaml() -> Path:
    """``manifests/install.yaml`` of the checkout: the bundles ship with the source, not the wheel."""
    root = checkout_dir()
    path = root / "manifests" / "install.yaml" if root else None
    if path is None or not path.is_file():
        raise DemoError(
            "manifests/install.yaml not found: the demo installs Argosy from a source checkout "
            "(clone the repository and run dev/demo.sh, which installs argosy in editable mode)"
        )
    return path


@contextlib.contextmanager
def _step(say: Say, title: str, started: float) -> Iterator[None]:
    say(f"==> {title}")
    begun = time.monotonic()
    yield
    now = time.monotonic()
    say(f"    done in {now - begun:.1f}s (total {now - started:.0f}s)")


def _kubectl(say: Say, kubeconfig: Path, *args: str, timeout: float = 60) -> str:
    say(f"$ kubectl {shlex.join(args)}")
    try:
        return kubectl(kubeconfig, *args, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise DemoError(f"kubectl {shlex.join(args)} timed out after {timeout:.0f}s") from exc


def _argosy(say: Say, config: Path, *args: str, timeout: float = 120, show: bool = True) -> str:
    """Run Argosy's CLI (this interpreter's) with the demo's client config."""
    if show:
        say(f"$ argosy --config {shlex.quote(str(config))} {shlex.join(args)}")
    argv = [sys.executable, "-m", "argosy", "--config", str(config), *args]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise DemoError(f"argosy {shlex.join(args)} timed out after {timeout:.0f}s") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr + proc.stdout).strip().splitlines()[-15:])
        raise DemoError(f"argosy {args[0]} {args[1] if len(args) > 1 else ''} failed:\n{tail}")
    return proc.stdout


def _wait(what: str, check: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(1)


def _open(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=2).close()
        return True
    except OSError:
        return False


def _git(*args: str, cwd: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Argosy demo", "GIT_AUTHOR_EMAIL": "demo@argosy.invalid"}
    env |= {"GIT_COMMITTER_NAME": "Argosy demo", "GIT_COMMITTER_EMAIL": "demo@argosy.invalid"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


def make_repo(root: Path) -> Path:
    """A fresh bare repository ``demo.git`` holding the chart under ``simple-app/``."""
    bare, work = root / "repos" / REPO, root / "work"
    for old in (bare, work):
        shutil.rmtree(old, ignore_errors=True)
    for rel, text in CHART.items():
        path = work / APP / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", f"{APP}: demo-web v1", cwd=work)
    bare.parent.mkdir(parents=True, exist_ok=True)
    _git("clone", "-q", "--bare", str(work), str(bare), cwd=root)
    return bare


def _serve_git(say: Say, root: Path, host: str) -> str:
    """Start ``git daemon`` on ``host``; record its PID and start time for ``down``."""
    (port,) = free_ports(1, host)
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    repos = root / "repos"
    argv = ["git", "daemon", "--reuseaddr", "--export-all", f"--listen={host}", f"--port={port}"]
    argv += [f"--base-path={repos}", str(repos)]
    say(f"$ {shlex.join(argv)} &")
    with open(logs / "git-daemon.log", "ab") as out:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
    record = {"pid": proc.pid, "start_time": procstat.start_time(proc.pid) or ""}
    (root / "state.json").write_text(json.dumps({"git-daemon": record}))
    _wait(f"git daemon on {host}:{port} (log: {logs / 'git-daemon.log'})", lambda: _open(host, port), 30)
    return f"git://{host}:{port}/{REPO}"


def _node_port(say: Say, kubeconfig: Path, service: str, namespace: str, port: int) -> int:
    ports: list[dict[str, Any]] = json.loads(
        _kubectl(say, kubeconfig, "get", "service", service, "-n", namespace, "-o", "jsonpath={.spec.ports}")
    )
    return int(next(p["nodePort"] for p in ports if p["port"] == port))


def up(say: Say, timeout: float = 300.0) -> DemoResult:
    """Run the tutorial from scratch (stopping an earlier demo first); ``timeout`` bounds each wait."""
    require_root()
    bundle = install_yaml()
    down(lambda _m: None)
    started = time.monotonic()
    root = demo_dir()
    root.mkdir(parents=True, exist_ok=True)
    cluster = LocalCluster(CLUSTER)
    kubeconfig = cluster.kubeconfig

    with _step(say, "build the images (the first build of the argosy image takes a few minutes)", started):
        image_set.all_images(say)
        argosy_archive = image_set.argosy_image(say)
    with _step(say, f"start cluster {CLUSTER} with one real node (kubelet + containerd)", started):
        state = cluster.up(progress=say, nodes=1, real_nodes=1)
        plan = state.network
        assert plan is not None  # real_nodes=1 gives the cluster a node network
        cluster.load_images([argosy_archive], say)
        node_ip = plan.node(0).ip
        say(f"export KUBECONFIG={kubeconfig}")

    with _step(say, f"install Argosy in namespace {NAMESPACE} from {bundle}", started):
        _kubectl(say, kubeconfig, "create", "namespace", NAMESPACE)
        apply = ("apply", "-n", NAMESPACE, "--server-side", "--force-conflicts", "-f", str(bundle))
        _kubectl(say, kubeconfig, *apply, timeout=120)
        for workload in WORKLOADS:
            rollout = ("rollout", "status", workload, "-n", NAMESPACE, f"--timeout={timeout:.0f}s")
            try:
                _kubectl(say, kubeconfig, *rollout, timeout=timeout + 30)
            except (ClusterError, DemoError) as exc:
                pods = kubectl(kubeconfig, "get", "pods", "-n", NAMESPACE, "-o", "wide")
                raise DemoError(f"{workload} did not roll out: {exc}\n{pods}") from exc

    with _step(say, "log in as admin with the initial password", started):
        secret = ("get", "secret", "argocd-initial-admin-secret", "-n", NAMESPACE)
        encoded = _kubectl(say, kubeconfig, *secret, "-o", "jsonpath={.data.password}")
        password = base64.b64decode(encoded).decode()
        expose = json.dumps({"spec": {"type": "NodePort"}})
        _kubectl(say, kubeconfig, "patch", "service", "argosy-server", "-n", NAMESPACE, "-p", expose)
        ui_port = _node_port(say, kubeconfig, "argosy-server", NAMESPACE, 443)
        _wait(f"kube-proxy serving {node_ip}:{ui_port}", lambda: _open(node_ip, ui_port), 60)
        config = root / "config"
        config.unlink(missing_ok=True)
        login = ("login", f"{node_ip}:{ui_port}", "--username", "admin", "--password", password, "--insecure")
        _argosy(say, config, *login)
        login_command = f"argosy --config {shlex.quote(str(config))} {shlex.join(login)}"
        say(f"web UI: https://{node_ip}:{ui_port} (user admin, password {password})")

    with _step(say, f"serve the {APP} Helm chart from Git on the node network's gateway", started):
        make_repo(root)
        repo_url = _serve_git(say, root, plan.gateway)

    with _step(say, f"create, sync and wait for Application {APP}", started):
        create: tuple[str, ...] = ("app", "create", APP, "--repo", repo_url, "--path", APP)
        create += (
            "--dest-namespace",
            APP,
            "--dest-server",
            "https://kubernetes.default.svc",
            "--sync-option",
            "CreateNamespace=true",
        )
        _argosy(say, config, *create)
        _argosy(say, config, "app", "sync", APP, "--timeout", f"{timeout:.0f}", timeout=timeout + 30)
        until = ("app", "wait", APP, "--sync", "--health", "--timeout", f"{timeout:.0f}")
        _argosy(say, config, *until, timeout=timeout + 30)
        app: dict[str, Any] = json.loads(_argosy(say, config, "app", "get", APP, "-o", "json", show=False))

    with _step(say, f"open {APP}'s web page through its NodePort", started):
        app_port = _node_port(say, kubeconfig, APP, APP, 80)
        app_url = f"http://{node_ip}:{app_port}/"
        _wait(f"kube-proxy serving {app_url}", lambda: _open(node_ip, app_port), 60)
        with urllib.request.urlopen(app_url, timeout=10) as response:
            page = response.read().decode()
        title = re.search(r"<title>(.*?)</title>", page, re.S)
        page_title = title.group(1).strip() if title else "(no title)"
        say(f"$ curl {app_url}  ->  {page_title}")
    return DemoResult(
        f"https://{node_ip}:{ui_port}", password, config, login_command, app_url, page_title, app
    )


def down(say: Say) -> None:
    """Stop the git daemon and the cluster (with its real node); no error when nothing runs."""
    root = demo_dir()
    state_file = root / "state.json"
    if state_file.exists():
        try:
            record = json.loads(state_file.read_text()).get("git-daemon") or {}
        except ValueError:
            record = {}
        pid = int(record.get("pid", 0))
        # Signal only the process we started: a recycled PID has another start time.
        if pid and record.get("start_time") and procstat.start_time(pid) == record["start_time"]:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)
                say(f"stopped git daemon (pid {pid})")
        state_file.unlink()
    (root / "config").unlink(missing_ok=True)
    try:
        stopped = LocalCluster(CLUSTER).down()
    except ClusterError as exc:
        raise DemoError(f"stopping cluster {CLUSTER}: {exc}") from exc
    if stopped:
        say(f"stopped cluster {CLUSTER} ({', '.join(stopped)})")
