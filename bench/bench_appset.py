"""Benchmark: ApplicationSets generating 1,000 Applications (list, and clusters x git).

Starts its own local cluster (``bench-appset``) and an in-process ApplicationSet
controller, then measures:

* list generator, N elements: time from ``kubectl apply`` of the set to all N
  Applications existing;
* a no-change regeneration (refresh annotation): how many API writes it makes
  (must be 0) and how long the reconcile takes;
* matrix of clusters x git directories (C cluster Secrets x D directories of a
  ``file://`` repository): time to all C*D Applications;
* with ``--sync``: the application controller runs too, each app deploys one
  ConfigMap (automated sync), and the time to all Synced/Healthy is measured;
* controller CPU time and peak RSS of this process (controller + harness).

Run: .venv/bin/python bench/bench_appset.py [--apps 1000] [--clusters 10] [--sync] [--keep-cluster]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # support/
from argosy.appset.controller import AppSetController, AppSetSettings
from argosy.controller.bootstrap import bootstrap
from argosy.devcluster.cluster import LocalCluster
from argosy.kube.clients import KubeClient
from argosy.repo import RepoService
from argosy.settings.clusters import in_cluster_config
from support.local_repos import allow_local_repositories

NS = "argocd"
APPS = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications"


def _count(client: KubeClient, selector: str = "") -> tuple[int, int]:
    """(apps, apps Synced and Healthy) owned by the bench's sets."""
    items = (
        client.request("GET", APPS, query={"labelSelector": selector} if selector else None).get("items")
        or []
    )
    healthy = sum(
        1
        for a in items
        if ((a.get("status") or {}).get("sync") or {}).get("status") == "Synced"
        and ((a.get("status") or {}).get("health") or {}).get("status") == "Healthy"
    )
    return len(items), healthy


def _wait(check: Any, what: str, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.2)
    raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")


def _repo(root: Path, dirs: int) -> str:
    work = root / "apps"
    work.mkdir()
    for i in range(dirs):
        d = work / f"app-{i:03d}"
        d.mkdir()
        (d / "cm.yaml").write_text(
            yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i:03d}"}})
        )
    who = {
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
    }
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-qm", "apps"]):
        subprocess.run(["git", *args], cwd=work, check=True, env={**who, "PATH": "/usr/bin:/bin"})
    return f"file://{work}"


def _kubectl(cluster: LocalCluster, *args: str, stdin: str = "") -> None:
    subprocess.run(
        ["kubectl", f"--kubeconfig={cluster.kubeconfig}", *args],
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )


def main() -> None:
    allow_local_repositories()  # the bench's servers are on loopback, its repositories in /tmp
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument(
        "--sync", action="store_true", help="also run the app controller and wait for Healthy"
    )
    parser.add_argument("--keep-cluster", action="store_true")
    args = parser.parse_args()
    cluster = LocalCluster("bench-appset")
    state = cluster.up()
    tmp = Path(tempfile.mkdtemp(prefix="bench-appset-"))
    ctl = None
    app_ctl = None
    try:
        client = KubeClient(in_cluster_config(cluster.kubeconfig))
        bootstrap(client, NS)
        repo_url = _repo(tmp, max(1, args.apps // args.clusters))
        ctl = AppSetController(client, AppSetSettings(namespace=NS), repo=RepoService(root=tmp / "cache"))
        ctl.start()
        if args.sync:
            from argosy.controller.manager import Controller

            app_ctl = Controller(
                client, RepoService(root=tmp / "app-cache"), namespace=NS, in_cluster=client.cluster
            )
            app_ctl.start()
        cpu0 = time.process_time()

        # 1. list generator
        elements = [{"i": f"n{i:04d}"} for i in range(args.apps)]  # a string, as fasttemplate needs
        listset = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ApplicationSet",
            "metadata": {"name": "bench-list", "namespace": NS},
            "spec": {
                "generators": [{"list": {"elements": elements}}],
                "template": {
                    "metadata": {"name": "list-{{i}}", "labels": {"bench": "list"}},
                    "spec": {
                        "project": "default",
                        "source": {"repoURL": repo_url, "path": "app-000", "targetRevision": "HEAD"},
                        "destination": {
                            "server": "https://kubernetes.default.svc",
                            "namespace": "list-{{i}}",
                        },
                        "syncPolicy": {"automated": {}, "syncOptions": ["CreateNamespace=true"]},
                    },
                },
            },
        }
        started = time.monotonic()
        _kubectl(cluster, "apply", "-f", "-", stdin=yaml.safe_dump(listset))
        seconds = _wait(lambda: _count(client, "bench=list")[0] >= args.apps, "list apps", 600)
        print(f"list generator: {args.apps} Applications generated in {seconds:.1f}s")
        if args.sync:
            seconds = _wait(lambda: _count(client, "bench=list")[1] >= args.apps, "Healthy", 3600)
            print(f"list generator: all Synced/Healthy {time.monotonic() - started:.1f}s after apply")

        # 2. no-change regeneration writes nothing
        time.sleep(2.0)
        writes, reconciles = ctl.writes, ctl.reconciles
        t0 = time.monotonic()
        _kubectl(cluster, "annotate", "applicationset", "bench-list", "-n", NS,
                 "argocd.argoproj.io/application-set-refresh=true")  # fmt: skip
        _wait(lambda: ctl.reconciles > reconciles, "the regeneration", 120)
        print(
            f"no-change regeneration of {args.apps} apps: {ctl.writes - writes} Application writes, "
            f"~{time.monotonic() - t0:.2f}s from annotation to reconciled"
        )

        # 3. clusters x git
        for c in range(args.clusters):
            secret = {
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {
                    "name": f"cluster-{c}",
                    "namespace": NS,
                    "labels": {"argocd.argoproj.io/secret-type": "cluster", "bench": "yes"},
                },
                "stringData": {"name": f"c{c}", "server": f"https://10.9.0.{c + 1}:6443", "config": "{}"},
            }
            _kubectl(cluster, "apply", "-f", "-", stdin=yaml.safe_dump(secret))
        matrix = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "ApplicationSet",
            "metadata": {"name": "bench-matrix", "namespace": NS},
            "spec": {
                "generators": [
                    {
                        "matrix": {
                            "generators": [
                                {"clusters": {"selector": {"matchLabels": {"bench": "yes"}}}},
                                {
                                    "git": {
                                        "repoURL": repo_url,
                                        "revision": "HEAD",
                                        "directories": [{"path": "*"}],
                                    }
                                },
                            ]
                        }
                    }
                ],
                "template": {
                    "metadata": {"name": "{{name}}-{{path.basename}}", "labels": {"bench": "matrix"}},
                    "spec": {
                        "project": "default",
                        "source": {"repoURL": repo_url, "path": "{{path}}", "targetRevision": "HEAD"},
                        "destination": {"server": "{{server}}", "namespace": "bench"},
                    },
                },
            },
        }
        expected = args.clusters * max(1, args.apps // args.clusters)
        started = time.monotonic()
        _kubectl(cluster, "apply", "-f", "-", stdin=yaml.safe_dump(matrix))
        seconds = _wait(lambda: _count(client, "bench=matrix")[0] >= expected, "matrix apps", 600)
        print(f"clusters x git: {expected} Applications generated in {seconds:.1f}s")
        usage = resource.getrusage(resource.RUSAGE_SELF)
        who = "controller + app controller" if args.sync else "controller"
        print(
            f"process CPU {time.process_time() - cpu0:.1f}s ({who} + harness), "
            f"peak RSS {usage.ru_maxrss / 1024:.0f} MiB; cluster ready in {state.ready_seconds}s"
        )
    finally:
        if app_ctl is not None:
            app_ctl.stop()
        if ctl is not None:
            ctl.stop()
        if not args.keep_cluster:
            cluster.down()


if __name__ == "__main__":
    main()
