"""Benchmark: live change -> Application status, through the watch (not the periodic refresh).

Starts its own local cluster (``bench-drift``) and an in-process controller,
creates an app of N ConfigMaps, then flips one ConfigMap's data with kubectl
and measures until ``status.resources[]`` shows the new sync status.
Run: .venv/bin/python bench/bench_drift_latency.py [--objects 50] [--samples 20] [--keep-cluster]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # support/
from argosy.controller.bootstrap import bootstrap
from argosy.controller.manager import Controller
from argosy.devcluster.cluster import LocalCluster
from argosy.kube.clients import KubeClient
from argosy.repo import RepoService
from argosy.settings.clusters import in_cluster_config
from support.local_repos import allow_local_repositories

NS = "argocd"


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
    proc = subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return proc.stdout


def git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "b",
            "GIT_AUTHOR_EMAIL": "b@x",
            "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@x",
            "HOME": str(cwd),
            "PATH": "/usr/bin:/bin",
        },
    )


def main() -> None:
    allow_local_repositories()  # the bench's servers are on loopback, its repositories in /tmp
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=50)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--keep-cluster", action="store_true")
    args = parser.parse_args()
    cluster = LocalCluster("bench-drift")
    cluster.up()
    kubeconfig = cluster.kubeconfig
    tmp = Path(tempfile.mkdtemp(prefix="argosy-bench-"))
    ctl = None
    try:
        work = tmp / "repo"
        (work / "app").mkdir(parents=True)
        docs = []
        for i in range(args.objects):
            docs.append(
                {
                    "apiVersion": "v1",
                    "kind": "ConfigMap",
                    "metadata": {
                        "name": f"cm{i}",
                        "namespace": "bench",
                        "labels": {"app.kubernetes.io/instance": "drift"},
                    },
                    "data": {"value": "a"},
                }
            )
        text = yaml.safe_dump_all(docs)
        (work / "app" / "all.yaml").write_text(text)
        git("init", "-q", "-b", "main", cwd=work)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "init", cwd=work)
        kubectl(kubeconfig, "create", "namespace", "bench")
        kubectl(kubeconfig, "apply", "-f", "-", stdin=text)
        in_cluster = in_cluster_config(kubeconfig)
        client = KubeClient(in_cluster)
        bootstrap(client, NS)
        ctl = Controller(client, RepoService(root=tmp / "cache"), namespace=NS, in_cluster=in_cluster)
        ctl.start()
        app = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "drift", "namespace": NS},
            "spec": {
                "project": "default",
                "source": {"repoURL": f"file://{work}", "path": "app"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "bench"},
            },
        }
        kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(app))

        def status_of(name: str) -> str:
            got: dict[str, Any] = json.loads(
                kubectl(kubeconfig, "get", "application", "drift", "-n", NS, "-o", "json")
            )
            for r in (got.get("status") or {}).get("resources") or []:
                if r.get("name") == name:
                    return str(r.get("status"))
            return ""

        deadline = time.monotonic() + 120
        while status_of("cm0") != "Synced":
            if time.monotonic() > deadline:
                raise SystemExit("app never became Synced")
            time.sleep(0.1)
        latencies = []
        for i in range(args.samples):
            value, want = ("b", "OutOfSync") if i % 2 == 0 else ("a", "Synced")
            started = time.monotonic()
            kubectl(
                kubeconfig,
                "patch",
                "configmap",
                "cm0",
                "-n",
                "bench",
                "-p",
                json.dumps({"data": {"value": value}}),
            )
            patched = time.monotonic()
            while status_of("cm0") != want:
                if time.monotonic() - started > 30:
                    raise SystemExit(f"sample {i}: status never became {want}")
                time.sleep(0.02)
            latencies.append(time.monotonic() - patched)
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        print(
            f"watch event -> status latency over {args.samples} changes ({args.objects}-object app): "
            f"median {statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {latencies[-1] * 1000:.0f} ms (includes kubectl polling, ~50 ms)"
        )
    finally:
        if ctl is not None:
            ctl.stop()
        if not args.keep_cluster:
            cluster.down()


if __name__ == "__main__":
    main()
