"""Benchmark: a 300-object sync through the controller vs. ``kubectl apply --server-side``; self-heal latency.

Starts its own local cluster (``bench-sync``) and an in-process controller.

1. **Sync**: an app of N objects (ConfigMaps, Deployments and Services in
   equal parts, one wave, no hooks) is synced through the controller (the
   ``operation`` field, as ``argosy app sync`` writes it): wall time from the
   request to ``operationState.phase: Succeeded``. The same rendered YAML is
   applied with ``kubectl apply --server-side`` into a second namespace. Both
   create every object; the ratio is controller / kubectl (goal <= 1.3).
2. **Self-heal**: ``controller.self.heal.timeout.seconds`` is set to T; each
   sample scales the Deployment of its own small automated app with
   ``kubectl scale`` and measures until ``spec.replicas`` is back. One app per
   sample, because repeated self-heals of one app back off (2 s, 6 s, 18 s...,
   as Argo CD's ``--self-heal-backoff-*``); each app's last sync finished more
   than T seconds earlier, so the goal is median <= T + 2 s.

Run: .venv/bin/python bench/bench_sync.py [--objects 300] [--samples 10] [--self-heal-timeout 2]
     [--keep-cluster]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
Obj = dict[str, Any]


def kubectl(kubeconfig: Path, *args: str, stdin: str | None = None) -> str:
    proc = subprocess.run(
        ["kubectl", f"--kubeconfig={kubeconfig}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    if proc.returncode != 0:
        raise SystemExit(f"kubectl {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout


def git(*args: str, cwd: Path) -> None:
    env = {
        "GIT_AUTHOR_NAME": "b",
        "GIT_AUTHOR_EMAIL": "b@x",
        "GIT_COMMITTER_NAME": "b",
        "GIT_COMMITTER_EMAIL": "b@x",
        "HOME": str(cwd),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)


def objects(n: int) -> list[Obj]:
    out: list[Obj] = []
    for i in range(n):
        kind = ("ConfigMap", "Deployment", "Service")[i % 3]
        name = f"{kind.lower()}-{i}"
        if kind == "ConfigMap":
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": kind,
                    "metadata": {"name": name},
                    "data": {f"key{j}": f"value {i}/{j}" for j in range(5)},
                }
            )
        elif kind == "Deployment":
            out.append(deployment(name))
        else:
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": kind,
                    "metadata": {"name": name},
                    "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]},
                }
            )
    return out


def deployment(name: str) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


class Bench:
    def __init__(self, kubeconfig: Path, work: Path) -> None:
        self.kubeconfig = kubeconfig
        self.work = work

    def app(self, name: str) -> Obj:
        out = kubectl(self.kubeconfig, "get", "application", name, "-n", NS, "-o", "json")
        return dict(json.loads(out))

    def wait(self, check: Callable[[], bool], what: str, timeout: float, step: float = 0.05) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out after {timeout:.0f}s waiting for {what}")
            time.sleep(step)

    def create_app(self, name: str, path: str, dest: str, policy: Obj | None = None) -> None:
        spec: Obj = {
            "project": "default",
            "source": {"repoURL": f"file://{self.work}", "path": path},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest},
        }
        if policy:
            spec["syncPolicy"] = policy
        app = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": NS},
            "spec": spec,
        }
        kubectl(self.kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(app))


def op_phase(app: Obj) -> str:
    return str(((app.get("status") or {}).get("operationState") or {}).get("phase") or "")


def sync_bench(bench: Bench, n: int) -> tuple[float, float, Obj]:
    docs = objects(n)
    kubeconfig = bench.kubeconfig
    for ns in ("bench-ctl", "bench-kubectl"):
        kubectl(kubeconfig, "create", "namespace", ns)

    # The controller: wait until the app is compared (OutOfSync, caches warm), then time the sync.
    bench.create_app("big", "big", "bench-ctl")
    bench.wait(
        lambda: ((bench.app("big").get("status") or {}).get("sync") or {}).get("status") == "OutOfSync",
        "the app compared",
        120,
        0.2,
    )
    body = {"operation": {"initiatedBy": {"username": "bench"}, "sync": {"revision": ""}}}
    started = time.monotonic()
    kubectl(kubeconfig, "patch", "application", "big", "-n", NS, "--type=merge", "-p", json.dumps(body))
    bench.wait(lambda: op_phase(bench.app("big")) in ("Succeeded", "Failed", "Error"), "the sync", 600)
    controller_seconds = time.monotonic() - started
    state = (bench.app("big").get("status") or {}).get("operationState") or {}
    if state.get("phase") != "Succeeded":
        raise SystemExit(f"the sync did not succeed: {state.get('message')}")

    # kubectl apply --server-side of the same rendered YAML.
    for d in docs:
        d["metadata"]["namespace"] = "bench-kubectl"
    text = yaml.safe_dump_all(docs)
    started = time.monotonic()
    kubectl(kubeconfig, "apply", "--server-side", "-f", "-", stdin=text)
    kubectl_seconds = time.monotonic() - started
    return controller_seconds, kubectl_seconds, state


def self_heal_bench(bench: Bench, samples: int, timeout_s: float) -> list[float]:
    kubeconfig = bench.kubeconfig
    kubectl(kubeconfig, "create", "namespace", "bench-heal")
    policy = {"automated": {"selfHeal": True, "prune": True}}
    for i in range(samples):
        bench.create_app(f"heal-{i}", f"heal/{i}", "bench-heal", policy)

    def all_synced() -> bool:
        out = json.loads(kubectl(kubeconfig, "get", "applications", "-n", NS, "-o", "json"))
        heal = [a for a in out["items"] if a["metadata"]["name"].startswith("heal-")]
        return len(heal) == samples and all(
            (a.get("status") or {}).get("sync", {}).get("status") == "Synced" and op_phase(a) == "Succeeded"
            for a in heal
        )

    bench.wait(all_synced, "the self-heal apps synced", 180, 0.5)
    time.sleep(timeout_s)  # the timeout counts from each app's last sync: let it pass
    latencies = []
    for i in range(samples):
        name = f"heal-{i}"

        def replicas(name: str = name) -> int:
            out = kubectl(kubeconfig, "get", "deployment", name, "-n", "bench-heal", "-o", "json")
            return int(json.loads(out)["spec"]["replicas"])

        started = time.monotonic()
        kubectl(kubeconfig, "scale", f"deployment/{name}", "-n", "bench-heal", "--replicas=5")
        bench.wait(lambda replicas=replicas: replicas() == 1, f"self-heal of {name}", 60, 0.02)
        latencies.append(time.monotonic() - started)
    return latencies


def main() -> None:
    allow_local_repositories()  # the bench's servers are on loopback, its repositories in /tmp
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=300)
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--self-heal-timeout", type=float, default=2.0)
    parser.add_argument("--keep-cluster", action="store_true")
    args = parser.parse_args()
    cluster = LocalCluster("bench-sync")
    cluster.up()
    kubeconfig = cluster.kubeconfig
    tmp = Path(tempfile.mkdtemp(prefix="argosy-bench-sync-"))
    ctl = None
    try:
        work = tmp / "repo"
        (work / "big").mkdir(parents=True)
        (work / "big" / "all.yaml").write_text(yaml.safe_dump_all(objects(args.objects)))
        for i in range(args.samples):
            (work / "heal" / str(i)).mkdir(parents=True)
            (work / "heal" / str(i) / "deploy.yaml").write_text(yaml.safe_dump(deployment(f"heal-{i}")))
        git("init", "-q", "-b", "main", cwd=work)
        git("add", "-A", cwd=work)
        git("commit", "-q", "-m", "init", cwd=work)

        in_cluster = in_cluster_config(kubeconfig)
        client = KubeClient(in_cluster)
        bootstrap(client, NS)
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": NS},
            "data": {"controller.self.heal.timeout.seconds": f"{args.self_heal_timeout:g}"},
        }
        kubectl(kubeconfig, "apply", "-f", "-", stdin=yaml.safe_dump(cm))
        ctl = Controller(client, RepoService(root=tmp / "cache"), namespace=NS, in_cluster=in_cluster)
        ctl.start()
        bench = Bench(kubeconfig, work)

        ctl_s, kubectl_s, state = sync_bench(bench, args.objects)
        results = (state.get("syncResult") or {}).get("resources") or []
        print(
            f"sync of {args.objects} objects ({len(results)} results): controller {ctl_s:.2f} s "
            f"(request -> Succeeded), kubectl apply --server-side {kubectl_s:.2f} s, "
            f"ratio {ctl_s / kubectl_s:.2f}x (goal <= 1.3x)"
        )
        latencies = self_heal_bench(bench, args.samples, args.self_heal_timeout)
        latencies.sort()
        print(
            f"self-heal (timeout {args.self_heal_timeout:g} s) over {len(latencies)} samples, kubectl scale "
            f"-> replicas reverted: median {statistics.median(latencies):.2f} s, "
            f"min {latencies[0]:.2f} s, max {latencies[-1]:.2f} s "
            f"(goal: median <= {args.self_heal_timeout + 2:g} s, timeout + 2 s)"
        )
    finally:
        if ctl is not None:
            ctl.stop()
        if not args.keep_cluster:
            cluster.down()


if __name__ == "__main__":
    main()
