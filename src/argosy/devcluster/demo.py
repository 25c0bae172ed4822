"""The README's demo: a local cluster, a Git repo with a Helm chart, Argosy syncing it.

Everything runs on loopback: a local control plane (``demo``), ``git daemon``
serving a repository with a small Helm chart, ``argosy repo-server`` and
``argosy controller`` as processes, and an Application with
``CreateNamespace=true`` and automated sync that ends Synced and Healthy.
State, logs and PIDs live in ``<state>/demo``; ``argosy dev demo down`` stops
exactly what ``up`` started.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from argosy.devcluster.cluster import ClusterError, LocalCluster, kubectl, process_running
from argosy.devcluster.paths import state_dir, tools_path_dir
from argosy.devcluster.ports import free_ports

CLUSTER = "demo"
NAMESPACE = "argocd"
APP = "guestbook"
CHART = {
    "Chart.yaml": "apiVersion: v2\nname: guestbook\ndescription: Argosy demo chart\nversion: 0.1.0\n",
    "values.yaml": "replicas: 2\nimage: registry.example/guestbook:1.0\nmessage: Hello from Argosy\n",
    "templates/deployment.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
  labels: {app: {{ .Release.Name }}}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
          ports: [{containerPort: 8080}]
          envFrom: [{configMapRef: {name: {{ .Release.Name }}}}]
""",
    "templates/service.yaml": """\
apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}
spec:
  selector: {app: {{ .Release.Name }}}
  ports: [{port: 80, targetPort: 8080}]
""",
    "templates/configmap.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}
data:
  MESSAGE: {{ .Values.message | quote }}
""",
}
Say = Callable[[str], None]


@dataclass
class DemoState:
    git_port: int
    repo_port: int
    pids: dict[str, int]


def demo_dir() -> Path:
    return state_dir() / "demo"


def _git(*args: str, cwd: Path) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Argosy demo",
        "GIT_AUTHOR_EMAIL": "demo@argosy.invalid",
        "GIT_COMMITTER_NAME": "Argosy demo",
        "GIT_COMMITTER_EMAIL": "demo@argosy.invalid",
    }
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, timeout=60)


def _make_repo(root: Path) -> Path:
    """A bare repository ``guestbook.git`` holding the chart under ``chart/``."""
    bare = root / "repos" / "guestbook.git"
    if bare.exists():
        return bare
    work = root / "work"
    shutil.rmtree(work, ignore_errors=True)
    for rel, text in CHART.items():
        path = work / "chart" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    _git("init", "-q", "-b", "main", cwd=work)
    _git("add", "-A", cwd=work)
    _git("commit", "-q", "-m", "guestbook chart", cwd=work)
    bare.parent.mkdir(parents=True, exist_ok=True)
    _git("clone", "-q", "--bare", str(work), str(bare), cwd=root)
    return bare


def _spawn(name: str, argv: list[str], logs: Path) -> int:
    # The pinned helm/kustomize/sops come first on the components' PATH, as dev/demo.sh sets it.
    env = {**os.environ, "PATH": os.pathsep.join([str(tools_path_dir()), os.environ.get("PATH", "")])}
    with open(logs / f"{name}.log", "ab") as out:
        proc = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
    return proc.pid


def _argosy() -> list[str]:
    return [sys.executable, "-m", "argosy"]


def application(git_port: int) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": APP,
            "namespace": NAMESPACE,
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": f"git://127.0.0.1:{git_port}/guestbook.git",
                "path": "chart",
                "targetRevision": "HEAD",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook"},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }


def up(say: Say, timeout: float = 300.0) -> dict[str, Any]:
    """Start (or restart) the demo and wait until the app is Synced and Healthy."""
    down(lambda _m: None)
    root = demo_dir()
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    cluster = LocalCluster(CLUSTER)
    cluster.up(progress=say, nodes=2)
    kubeconfig = cluster.kubeconfig
    bare = _make_repo(root)
    say(f"Git repository with a Helm chart: {bare}")
    git_port, repo_port, metrics_port, repo_metrics = free_ports(4)
    pids = {
        "git-daemon": _spawn(
            "git-daemon",
            [
                "git",
                "daemon",
                "--reuseaddr",
                "--export-all",
                "--listen=127.0.0.1",
                f"--port={git_port}",
                f"--base-path={bare.parent}",
                str(bare.parent),
            ],
            logs,
        ),
        "repo-server": _spawn(
            "repo-server",
            [
                *_argosy(),
                "repo-server",
                "--port",
                str(repo_port),
                "--metrics-port",
                str(repo_metrics),
                "--cache-dir",
                str(root / "repo-cache"),
                # The demo's git daemon listens on loopback, which the repo server refuses unless allowed.
                "--allowed-networks",
                "127.0.0.0/8,::1/128",
            ],
            logs,
        ),
        "controller": _spawn(
            "controller",
            [
                *_argosy(),
                "controller",
                "--kubeconfig",
                str(kubeconfig),
                "--namespace",
                NAMESPACE,
                "--repo-server",
                f"http://127.0.0.1:{repo_port}",
                "--metrics-port",
                str(metrics_port),
                "--metrics-address",
                "127.0.0.1",
            ],
            logs,
        ),
    }
    state = DemoState(git_port, repo_port, pids)
    (root / "state.json").write_text(json.dumps(state.__dict__))
    say(f"started git daemon (:{git_port}), repo server (:{repo_port}) and controller; logs in {logs}")
    deadline = time.monotonic() + timeout
    _wait(lambda: _answers(kubeconfig, "crd", "applications.argoproj.io"), deadline, pids, logs, "CRDs")
    # Each CRD is served a moment after it is created: until then kubectl knows no such type.
    _wait(lambda: _answers(kubeconfig, "appprojects", "default"), deadline, pids, logs, "default project")
    kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(application(git_port)))
    say(f"created Application {NAMESPACE}/{APP} (automated, CreateNamespace=true)")
    last = ""
    while True:
        app: dict[str, Any] = json.loads(
            kubectl(kubeconfig, "get", "application", APP, "-n", NAMESPACE, "-o", "json")
        )
        status = app.get("status") or {}
        sync = (status.get("sync") or {}).get("status", "")
        health = (status.get("health") or {}).get("status", "")
        phase = (status.get("operationState") or {}).get("phase", "")
        line = f"sync={sync or '-'} health={health or '-'} operation={phase or '-'}"
        if line != last:
            say(line)
            last = line
        if sync == "Synced" and health == "Healthy":
            return app
        _check_alive(pids, logs)
        if time.monotonic() > deadline:
            raise RuntimeError(f"app not Synced/Healthy after {timeout:.0f}s ({line}); see {logs}")
        time.sleep(0.5)


def _answers(kubeconfig: Path, resource: str, name: str) -> bool:
    """Whether ``kubectl get RESOURCE`` lists ``name`` (False while the type is not served yet)."""
    try:
        return name in kubectl(kubeconfig, "get", resource, "-n", NAMESPACE, "-o", "name")
    except ClusterError:
        return False


def _wait(check: Callable[[], bool], deadline: float, pids: dict[str, int], logs: Path, what: str) -> None:
    while not check():
        _check_alive(pids, logs)
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for the {what}; logs in {logs}")
        time.sleep(0.5)


def _check_alive(pids: dict[str, int], logs: Path) -> None:
    for name, pid in pids.items():
        if not process_running(pid):
            tail = "\n".join((logs / f"{name}.log").read_text(errors="replace").splitlines()[-15:])
            raise RuntimeError(f"{name} exited; last log lines:\n{tail}")


def down(say: Say) -> None:
    """Stop the demo's processes and its cluster; no error when nothing runs."""
    root = demo_dir()
    state_file = root / "state.json"
    if state_file.exists():
        pids = json.loads(state_file.read_text()).get("pids", {})
        for name, pid in pids.items():
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if b"argosy" not in cmdline and b"daemon" not in cmdline:
                continue  # the PID was recycled by something that is not ours
            try:
                os.killpg(pid, signal.SIGTERM)
                say(f"stopped {name}")
            except (ProcessLookupError, PermissionError):
                pass
        state_file.unlink()
    stopped = LocalCluster(CLUSTER).down()
    if stopped:
        say(f"stopped cluster {CLUSTER}")
