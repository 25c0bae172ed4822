"""Benchmark: the web UI in Chromium with 10,000 Applications, and one app with 2,000 resources.

Starts its own local cluster (``bench-ui``), installs the control plane in
``argocd``, creates N Applications (status written through the status
subresource, as the controller would: sync/health vary so the facets count
something) plus one app whose ``status.resources`` lists R resources, starts
the API server (it serves the built UI) and drives Debian's Chromium with
Playwright. It prints:

- list first paint: navigation -> first application card drawn;
- list interactive: navigation -> every page of the list loaded and counted;
- filter update: a keystroke in the search box -> the count and cards redrawn (median of 20);
- JS heap of the page with N apps loaded;
- tree first paint: navigation to the big app -> its resource tree drawn.

Goals (issue 17): list interactive <= 2 s, filter <= 100 ms, tree <= 1 s.
Run: .venv/bin/python bench/bench_ui.py [--apps 10000] [--resources 2000] [--keep-cluster]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from argosy.controller.bootstrap import bootstrap
from argosy.devcluster.cluster import LocalCluster
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError, http_status
from argosy.server.config import ServerConfig
from argosy.server.run import BackgroundServer
from argosy.server.webui import DIST
from argosy.settings.clusters import in_cluster_config

NS = "argocd"
APPS = f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications"
SYNC = ("Synced", "Synced", "Synced", "OutOfSync")
HEALTH = ("Healthy", "Healthy", "Progressing", "Degraded", "Missing")
KINDS = ("ConfigMap", "Secret", "Service", "Deployment", "ServiceAccount")


def application(name: str, i: int) -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": NS, "labels": {"team": f"t{i % 20}"}},
        "spec": {
            "project": "default",
            "source": {
                "repoURL": f"https://git.example/repo-{i % 30}.git",
                "path": "app",
                "targetRevision": "HEAD",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"ns-{i % 100}"},
            "syncPolicy": {"automated": {"prune": True}} if i % 2 else {},
        },
    }


def status(i: int, resources: int) -> dict[str, Any]:
    return {
        "status": {
            "sync": {"status": SYNC[i % len(SYNC)], "revision": "a" * 40},
            "health": {"status": HEALTH[i % len(HEALTH)]},
            "resources": [
                {
                    "version": "v1",
                    "kind": KINDS[r % len(KINDS)],
                    "namespace": f"ns-{i % 100}",
                    "name": f"res-{r:04d}",
                    "status": "OutOfSync" if r % 97 == 0 else "Synced",
                    "health": {"status": "Healthy"},
                }
                for r in range(resources)
            ],
        }
    }


def create(client: KubeClient, name: str, i: int, resources: int) -> None:
    """The app with a status as the controller writes it (the CRDs have no status subresource)."""
    try:
        client.request("POST", APPS, body={**application(name, i), **status(i, resources)})
    except KubeError as err:
        if http_status(err) != 409:  # already there from an earlier --keep-cluster run
            raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--resources", type=int, default=2_000)
    parser.add_argument("--keep-cluster", action="store_true")
    args = parser.parse_args()
    if not (DIST / "index.html").is_file():
        raise SystemExit("the web UI is not built: run dev/setup.sh")
    from playwright.sync_api import sync_playwright

    cluster = LocalCluster("bench-ui")
    cluster.up()
    srv = None
    try:
        client = KubeClient(in_cluster_config(cluster.kubeconfig))
        bootstrap(client, NS)
        started = time.monotonic()
        head = client.request("GET", APPS, query={"limit": "1"})
        remaining = int((head.get("metadata") or {}).get("remainingItemCount") or 0)
        there = len(head.get("items") or []) + remaining
        if there < args.apps + 1:  # else: kept from an earlier --keep-cluster run
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(lambda i: create(client, f"app-{i:05d}", i, 3), range(args.apps)))
            create(client, "big-app", 0, args.resources)
        print(f"{args.apps} Applications + big-app in place after {time.monotonic() - started:.0f}s")
        config = ServerConfig(namespace=NS, kubeconfig=cluster.kubeconfig, insecure=True, login_delay=(0, 0))
        srv = BackgroundServer(config).start()
        secret = client.request("GET", f"/api/v1/namespaces/{NS}/secrets/argocd-initial-admin-secret")
        password = base64.b64decode(secret["data"]["password"]).decode()
        total = args.apps + 1
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.request.post(f"{srv.url}/api/v1/session", data={"username": "admin", "password": password})
            figures: dict[str, list[float]] = {"first": [], "interactive": [], "tree": [], "filter": []}
            for _ in range(3):  # the first run also warms the server's watch cache
                page.goto("about:blank")
                t0 = time.monotonic()
                page.goto(f"{srv.url}/applications")
                page.locator("[data-testid=app-card]").first.wait_for(timeout=120_000)
                figures["first"].append(time.monotonic() - t0)
                page.get_by_test_id("app-count").get_by_text(f"{total} of {total}").wait_for(timeout=120_000)
                figures["interactive"].append(time.monotonic() - t0)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            cdp.send("HeapProfiler.collectGarbage")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            heap = float(metrics.get("JSHeapUsedSize", 0.0))
            for query in ["app-0", "app-01", "app-012", "app-0123", "app-01", "app-", ""] * 3:
                ms = page.evaluate(
                    """async (q) => {
                        const input = document.querySelector("input.search");
                        const count = document.querySelector("[data-testid=app-count]");
                        const before = count.textContent;
                        const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value").set;
                        const t0 = performance.now();
                        set.call(input, q);
                        input.dispatchEvent(new Event("input", { bubbles: true }));
                        while (count.textContent === before) await new Promise(requestAnimationFrame);
                        await new Promise(requestAnimationFrame);
                        return performance.now() - t0;
                    }""",
                    query,
                )
                if query:  # "" after "" would not change the count
                    figures["filter"].append(ms / 1000)
            for _ in range(3):
                page.goto("about:blank")
                t0 = time.monotonic()
                page.goto(f"{srv.url}/applications/big-app")
                page.locator("[data-testid=tree-node]").first.wait_for(timeout=60_000)
                figures["tree"].append(time.monotonic() - t0)
            browser.close()
        best = {k: min(v) for k, v in figures.items() if v}
        print(
            f"{total} apps: list first paint {best['first'] * 1000:.0f} ms, interactive "
            f"{best['interactive'] * 1000:.0f} ms "
            f"(median of 3: {statistics.median(figures['interactive']) * 1000:.0f}); "
            f"filter keystroke median {statistics.median(figures['filter']) * 1000:.0f} ms "
            f"(max {max(figures['filter']) * 1000:.0f}); JS heap {heap / 2**20:.0f} MiB; "
            f"tree of {args.resources} resources first paint {best['tree'] * 1000:.0f} ms"
        )
    finally:
        if srv is not None:
            srv.stop()
        if not args.keep_cluster:
            cluster.down()


if __name__ == "__main__":
    main()
