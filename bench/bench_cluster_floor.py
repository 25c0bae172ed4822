"""The cluster's floor for the fleet benchmark: the same objects, no GitOps controller at all.

``bench_fleet.py`` times N Applications x 10 objects from one ``kubectl apply`` to all
Synced+Healthy. Part of that time is not any controller's: the API server, etcd,
kube-controller-manager, the scheduler and kwok must create 10 objects, a ReplicaSet and a
Pod per app and bring every Deployment to Available. This bench measures that part alone on
the same cluster shape (``fleet-floor``, one kwok node per 200 Pods): it writes the very
manifests of the shared driver ``../shared/tools/fleet_bench.py`` (``make_repo``) straight
to the API server — a namespace and 10 creates per app, from ``--workers`` threads, with no
client-side rate limit unless ``--qps`` is given — and waits until every Deployment is
Available, polling every 2 s as the driver polls Applications. It prints the wall time to
all created and to all Available (t50/t90), the machine's CPU seconds and each cluster
process's, and the API server's request count. A controller's time in ``bench_fleet.py``
minus this floor is what the controller itself costs.

Run (keep the machine otherwise idle)::

    .venv/bin/python bench/bench_cluster_floor.py --n 1000
    .venv/bin/python bench/bench_cluster_floor.py --n 1000 --qps 50   # Argo CD's / Argosy's default limit
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from kubernetes import client, config, utils

from argosy.devcluster.cluster import LocalCluster
from argosy.kube.ratelimit import RateLimit, TokenBucket

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fleet import PODS_PER_NODE, api_requests, load_driver, per_app


def own_cpu_s(driver: Any, pid: int) -> float:
    """A cluster process's own CPU seconds, read as the shared driver reads its systems'."""
    stat = driver.read_stat(pid)
    return float(stat[1]) if stat else 0.0


def load_apps(driver: Any, workdir: Path, n: int) -> list[list[dict[str, Any]]]:
    """The driver's own manifests for apps 0..n-1, read from the repository it writes."""
    driver.make_repo(workdir, n)
    apps = []
    for i in range(n):
        folder = workdir / "git" / "work" / "apps" / f"app-{i}"
        docs = [d for f in sorted(folder.glob("*.yaml")) for d in yaml.safe_load_all(f.read_text()) if d]
        apps.append(docs)
    return apps


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="applications (namespaces of 10 objects)")
    parser.add_argument("--workers", type=int, default=10, help="creating threads (a controller's syncs)")
    parser.add_argument("--qps", type=float, default=0, help="client-side requests per second (0: none)")
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=1200)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "argosy-cluster-floor")
    parser.add_argument("--keep-cluster", action="store_true")
    parser.add_argument("--kcm-qps", type=int, default=0, help="kube-controller-manager's QPS (0: 20)")
    args = parser.parse_args()
    driver = load_driver()
    if driver is None:
        return 2
    args.workdir.mkdir(parents=True, exist_ok=True)
    apps = load_apps(driver, args.workdir, args.n)

    cluster = LocalCluster("fleet-floor")
    state = cluster.up(nodes=math.ceil(args.n / PODS_PER_NODE) + 1, controller_manager_qps=args.kcm_qps)
    try:
        config.load_kube_config(str(cluster.kubeconfig))
        configuration = client.Configuration.get_default_copy()
        configuration.connection_pool_maxsize = args.workers + 2
        api = client.ApiClient(configuration)
        core, apps_api = client.CoreV1Api(api), client.AppsV1Api(api)
        bucket = TokenBucket(RateLimit(args.qps, args.burst))  # qps 0: none
        pids = {name: record.pid for name, record in state.processes.items()}
        print(f"cluster up: {len(pids)} processes, load {os.getloadavg()[0]:.2f}; creating {args.n} apps")
        cpu0 = {name: own_cpu_s(driver, pid) for name, pid in pids.items()}
        machine0, requests0, t0 = driver.machine_cpu(), api_requests(cluster), time.monotonic()

        def create(i: int) -> None:
            namespace = f"floor-{i}"
            bucket.take()
            core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
            for doc in apps[i]:
                bucket.take()
                utils.create_from_dict(api, doc, namespace=namespace)

        with ThreadPoolExecutor(args.workers) as pool:
            list(pool.map(create, range(args.n)))  # re-raises the first failed create
        all_created = time.monotonic() - t0
        print(f"all {args.n * 11} objects created in {all_created:.0f} s")

        available: dict[str, float] = {}
        while len(available) < args.n and time.monotonic() - t0 < args.timeout:
            for d in apps_api.list_deployment_for_all_namespaces(label_selector="app=web").items:
                ns = d.metadata.namespace if d.metadata else None
                ready = (d.status.available_replicas or 0) >= 1 if d.status else False
                if ns and ns.startswith("floor-") and ns not in available and ready:
                    available[ns] = time.monotonic() - t0
            time.sleep(2)
        elapsed = time.monotonic() - t0
        times = sorted(available.values())
        machine = driver.machine_cpu() - machine0
        spent = {name: own_cpu_s(driver, pid) - cpu0[name] for name, pid in pids.items()}
        requests = api_requests(cluster) - requests0

        def pct(p: float) -> str:
            return f"{times[min(len(times) - 1, int(p * len(times)))]:.0f}" if times else "-"

        done = f"all {times[-1]:.0f} s" if len(times) == args.n else f"not all after {elapsed:.0f} s"
        print(
            f"N={args.n} workers={args.workers} qps={args.qps or 'none'} kcm-qps={args.kcm_qps or 20}: "
            f"{len(available)}/{args.n} "
            f"Available; all created {all_created:.0f} s; Available t50 {pct(0.5)} s, t90 {pct(0.9)} s, "
            + done
        )
        print(f"machine CPU {machine:.0f} s in {elapsed:.0f} s ({machine / elapsed:.2f} cores busy)")
        print("cluster processes CPU s: " + ", ".join(f"{k} {v:.0f}" for k, v in sorted(spent.items())))
        print(
            f"API requests (non-watch): {requests.total()} ({requests.total() / args.n:.1f} per app): "
            + per_app(requests, args.n, 15)
        )
    finally:
        if not args.keep_cluster:
            cluster.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
