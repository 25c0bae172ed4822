"""Benchmark: ``GET /api/v1/applications`` p50/p99 with 1,000 Applications.

Starts its own local cluster (``bench-apilist``), installs the CRDs, creates N
Applications in the control-plane namespace (no controller: only the API
server's list path is measured — Kubernetes list, RBAC filter per app, JSON),
starts the API server on loopback, logs in as admin and times R list calls.
Run: .venv/bin/python bench/bench_api_list.py [--apps 1000] [--requests 100] [--keep-cluster]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
from typing import Any

import httpx

from argosy.controller.bootstrap import bootstrap
from argosy.devcluster.cluster import LocalCluster
from argosy.kube.clients import KubeClient
from argosy.server.config import ServerConfig
from argosy.server.run import BackgroundServer
from argosy.settings.clusters import in_cluster_config

NS = "argocd"


def application(i: int) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": f"app-{i:04d}", "namespace": NS, "labels": {"team": f"t{i % 10}"}},
        "spec": {
            "project": "default",
            "source": {
                "repoURL": "https://github.com/argoproj/argocd-example-apps.git",
                "path": "guestbook",
                "targetRevision": "HEAD",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"ns-{i % 50}"},
            "syncPolicy": {"automated": {"prune": True}} if i % 2 else {},
        },
        # A status of realistic size, as the controller would have written it.
        "status": {
            "sync": {"status": "Synced", "revision": "a" * 40},
            "health": {"status": "Healthy"},
            "resources": [
                {"kind": k, "name": f"guestbook-{k.lower()}", "namespace": f"ns-{i % 50}", "status": "Synced"}
                for k in ("Service", "Deployment")
            ],
        },
    }


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--keep-cluster", action="store_true")
    args = parser.parse_args()
    cluster = LocalCluster("bench-apilist")
    cluster.up()
    srv = None
    try:
        client = KubeClient(in_cluster_config(cluster.kubeconfig))
        bootstrap(client, NS)
        started = time.monotonic()
        for i in range(args.apps):
            client.request(
                "POST", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications", body=application(i)
            )
        print(f"created {args.apps} Applications in {time.monotonic() - started:.1f}s")
        config = ServerConfig(
            namespace=NS, kubeconfig=cluster.kubeconfig, insecure=True, login_delay=(0.0, 0.0)
        )
        srv = BackgroundServer(config).start()
        secret = client.request("GET", f"/api/v1/namespaces/{NS}/secrets/argocd-initial-admin-secret")
        password = base64.b64decode(secret["data"]["password"]).decode()
        with httpx.Client(base_url=srv.url, timeout=60) as api:
            login = api.post("/api/v1/session", json={"username": "admin", "password": password})
            login.raise_for_status()
            headers = {"Authorization": f"Bearer {login.json()['token']}"}
            first = api.get("/api/v1/applications", headers=headers)
            first.raise_for_status()
            count = len(first.json().get("items") or [])
            if count != args.apps:
                raise SystemExit(f"listed {count} applications, expected {args.apps}")
            timings = []
            for _ in range(args.requests):
                t0 = time.monotonic()
                resp = api.get("/api/v1/applications", headers=headers)
                resp.raise_for_status()
                timings.append(time.monotonic() - t0)
            size = len(resp.content)
        print(
            f"GET /api/v1/applications with {args.apps} apps ({size / 1024:.0f} KiB), "
            f"{args.requests} requests: "
            f"p50 {percentile(timings, 0.5) * 1000:.0f} ms, p99 {percentile(timings, 0.99) * 1000:.0f} ms, "
            f"mean {statistics.mean(timings) * 1000:.0f} ms"
        )
    finally:
        if srv is not None:
            srv.stop()
        if not args.keep_cluster:
            cluster.down()


if __name__ == "__main__":
    main()
