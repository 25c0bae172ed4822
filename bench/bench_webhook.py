"""Benchmark: Git push -> webhook -> applied, for a 10-resource automated app (goal: median <= 1.5 s).

Starts its own local cluster (``bench-webhook``), an in-process controller, the
API server and a ``git http-backend`` serving the app's repository. Each sample
commits a new value into all N ConfigMaps, POSTs a signed GitHub push to
``/api/webhook`` and waits until every ConfigMap in the cluster holds the new
value. The time is measured from the POST (the commit itself is reported
apart). Run: .venv/bin/python bench/bench_webhook.py [--objects 10] [--samples 15] [--keep-cluster]
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the tests' git http-backend server

from argosy.controller.bootstrap import bootstrap
from argosy.controller.manager import Controller
from argosy.devcluster.cluster import LocalCluster
from argosy.kube.clients import KubeClient
from argosy.repo import RepoService
from argosy.server.config import ServerConfig
from argosy.server.run import BackgroundServer
from argosy.server.webhook import hmac_hex
from argosy.settings.clusters import in_cluster_config
from support.git_server import GitHttpServer
from support.local_repos import allow_local_repositories

NS = "argocd"
DEST = "bench"
SECRET = 'bench "secret" $ # é'


def manifests(n: int, value: str) -> str:
    return yaml.safe_dump_all(
        [
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": f"cm{i}"},
                "data": {"value": value},
            }
            for i in range(n)
        ]
    )


def push(web_url: str, before: str, after: str) -> bytes:
    return json.dumps(
        {
            "ref": "refs/heads/main",
            "before": before,
            "after": after,
            "commits": [],
            "repository": {"html_url": web_url, "clone_url": web_url + ".git", "default_branch": "main"},
        }
    ).encode()


def main() -> None:
    allow_local_repositories()  # the bench's servers are on loopback, its repositories in /tmp
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=10)
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--keep-cluster", action="store_true")
    parser.add_argument(
        "--server-side-apply",
        action="store_true",
        help="sync with ServerSideApply=true instead of kubectl apply",
    )
    args = parser.parse_args()
    cluster = LocalCluster("bench-webhook")
    cluster.up()
    tmp = Path(tempfile.mkdtemp(prefix="argosy-bench-webhook-"))
    ctl = srv = None
    git = GitHttpServer(tmp).start()
    try:
        in_cluster = in_cluster_config(cluster.kubeconfig)
        client = KubeClient(in_cluster)
        bootstrap(client, NS)
        ctl = Controller(client, RepoService(root=tmp / "cache"), namespace=NS, in_cluster=in_cluster)
        ctl.start()
        srv = BackgroundServer(
            ServerConfig(namespace=NS, kubeconfig=cluster.kubeconfig, insecure=True)
        ).start()
        encoded = base64.b64encode(SECRET.encode()).decode()
        client.request(
            "PATCH",
            f"/api/v1/namespaces/{NS}/secrets/argocd-secret",
            body={"data": {"webhook.github.secret": encoded}},
            content_type="application/merge-patch+json",
        )
        repo = git.create_repo("bench-app")
        sha = repo.commit({"app/all.yaml": manifests(args.objects, "v0")})
        url = git.url("bench-app")
        app = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "bench", "namespace": NS},
            "spec": {
                "project": "default",
                "source": {"repoURL": url, "path": "app", "targetRevision": "HEAD"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": DEST},
                "syncPolicy": {
                    "automated": {"prune": True},
                    "syncOptions": ["CreateNamespace=true"]
                    + (["ServerSideApply=true"] if args.server_side_apply else []),
                },
            },
        }
        client.request("POST", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications", body=app)

        def live_values() -> set[str]:
            try:
                items = client.request("GET", f"/api/v1/namespaces/{DEST}/configmaps").get("items") or []
            except Exception:
                return set()
            values = {
                str((i.get("data") or {}).get("value"))
                for i in items
                if i["metadata"]["name"].startswith("cm")
            }
            found = sum(1 for i in items if i["metadata"]["name"].startswith("cm"))
            return values if found == args.objects else set()

        def wait_for(value: str, timeout: float, sha: str = "") -> dict[str, float]:
            """Wait until every ConfigMap shows ``value``; when the app status first showed each stage."""
            marks: dict[str, float] = {}
            deadline = time.monotonic() + timeout
            while live_values() != {value}:
                if time.monotonic() > deadline:
                    raise SystemExit(f"ConfigMaps never all showed {value!r}: {live_values()}")
                if sha:
                    got = client.request(
                        "GET", f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications/bench"
                    )
                    status = got.get("status") or {}
                    op = status.get("operationState") or {}
                    now = time.monotonic()
                    if (status.get("sync") or {}).get("revision") == sha:
                        marks.setdefault("refreshed", now)
                    if op.get("syncResult", {}).get("revision") == sha or (
                        (op.get("operation") or {}).get("sync", {}).get("revision") == sha
                    ):
                        marks.setdefault("sync started", now)
                time.sleep(0.01)
            return marks

        wait_for("v0", 120)
        applied, commits = [], []
        stages: dict[str, list[float]] = {}
        with httpx.Client(base_url=srv.url, timeout=30) as api:
            for i in range(1, args.samples + 1):
                value = f"v{i}"
                started = time.monotonic()
                new_sha = repo.commit({"app/all.yaml": manifests(args.objects, value)})
                commits.append(time.monotonic() - started)
                body = push(url.removesuffix(".git"), sha, new_sha)
                headers = {
                    "Content-Type": "application/json",
                    "X-GitHub-Event": "push",
                    "X-Hub-Signature-256": "sha256=" + hmac_hex(SECRET, body),
                }
                posted = time.monotonic()
                resp = api.post("/api/webhook", content=body, headers=headers)
                if resp.status_code != 200:
                    raise SystemExit(f"webhook answered {resp.status_code}: {resp.text}")
                marks = wait_for(value, 30, new_sha)
                applied.append(time.monotonic() - posted)
                for stage, at in marks.items():
                    stages.setdefault(stage, []).append(at - posted)
                sha = new_sha
        applied.sort()
        print(
            f"webhook -> applied ({args.objects}-resource automated app, {args.samples} pushes, "
            f"{'server-side apply' if args.server_side_apply else 'kubectl client-side apply'}): "
            f"median {statistics.median(applied):.3f}s, p90 {applied[int(0.9 * (len(applied) - 1))]:.3f}s, "
            f"min {applied[0]:.3f}s, max {applied[-1]:.3f}s (goal: median <= 1.5s); "
            f"git commit+push itself: median {statistics.median(commits):.3f}s"
        )
        for stage, times in stages.items():
            print(f"  {stage} (status seen): median {statistics.median(times):.3f}s after the POST")
    finally:
        if srv is not None:
            srv.stop()
        if ctl is not None:
            ctl.stop()
        git.stop()
        if not args.keep_cluster:
            cluster.down()


if __name__ == "__main__":
    main()
