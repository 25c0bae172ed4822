"""Fleet benchmark: N Applications x 10 objects, from one ``kubectl apply`` to all Synced+Healthy.

A thin wrapper around the shared driver ``../shared/tools/fleet_bench.py`` (so the
numbers are comparable with every other system measured by it, Argo CD included):
it starts a local cluster ``fleet-bench`` with enough kwok nodes for the Pods,
writes the driver's config for Argosy (``argosy repo-server`` + one or more
``argosy controller`` processes; ``--shards 3`` starts three replicas with
``--shards auto``) and, with ``--argocd`` (the pinned Argo CD, built from its Go
module through ``dev/argocd`` into the binary cache on first use, ~10 min cold)
or ``--argocd-bin PATH`` (your own build), for Argo CD's repo server +
controller + Redis (Debian's ``redis-server``) as processes, then runs the
driver and prints its report: time to converge (t50/t90/all), CPU seconds and
peak RSS per process, steady-state CPU per minute, self-heal latency. It adds
the Kubernetes API request count per phase (``apiserver_request_total``
deltas, watches excluded).

Run (keep the machine otherwise idle; the driver waits for a low load)::

    .venv/bin/python bench/bench_fleet.py --n 1000
    .venv/bin/python bench/bench_fleet.py --n 1000 --shards 3
    .venv/bin/python bench/bench_fleet.py --n 1000 --argocd
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # support/
from argosy.devcluster import build
from argosy.devcluster.cluster import LocalCluster
from support.local_repos import allow_local_repositories

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT.parent / "shared" / "tools" / "fleet_bench.py"
PODS_PER_NODE = 200  # kwok nodes advertise 110 pods by default; ours take more


def argosy_system(
    shards: int, repo_port: int, extra: list[str], profile: Path | None = None
) -> dict[str, Any]:
    argosy = str(Path(sys.executable).with_name("argosy"))
    # --profile: the controller runs under yappi (every thread, CPU clock) and writes a pstats
    # file when it stops (`pip install yappi`; read it with `python -m pstats FILE`).
    launcher = (
        [sys.executable, str(Path(__file__).with_name("profiled.py")), str(profile)] if profile else [argosy]
    )
    processes: list[dict[str, Any]] = [
        {
            "name": "repo-server",
            "argv": [
                argosy,
                "repo-server",
                "--port",
                str(repo_port),
                "--metrics-port",
                "0",
                "--cache-dir",
                "{run_dir}/repo-cache",
                "--loglevel",
                "warn",
            ],
            "ready_tcp": repo_port,
        }
    ]
    for i in range(shards):
        argv = [*launcher, "controller", "--kubeconfig", "{kubeconfig}", "--repo-server"]
        argv += [f"http://127.0.0.1:{repo_port}", "--metrics-port", "0", "--loglevel", "warn"]
        if shards > 1:
            argv += ["--shards", "auto", "--replica-id", f"bench-{i}"]
        processes.append({"name": f"controller-{i}" if shards > 1 else "controller", "argv": argv + extra})
    return {
        "label": f"Argosy ({shards} controller{'s' if shards > 1 else ''})",
        "processes": processes,
        "post_start": [  # the controller installs the CRDs and the default project when it starts
            "for i in $(seq 240); do kubectl -n argocd get appproject default >/dev/null 2>&1 && exit 0; "
            "sleep 0.5; done; exit 1",
        ],
        "settle_s": 5,
        "notes": f"argosy {' '.join(extra)}".strip(),
    }


# What Argo CD's install puts beside its Deployments and its controller cannot start without: the
# settings it reads only when labelled part-of: argocd, and the default project (its API server,
# not run here, would create it).
ARGOCD_SETTINGS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cm, namespace: argocd, labels: {app.kubernetes.io/part-of: argocd}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-rbac-cm, namespace: argocd, labels: {app.kubernetes.io/part-of: argocd}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: argocd-cmd-params-cm, namespace: argocd, labels: {app.kubernetes.io/part-of: argocd}}
---
apiVersion: v1
kind: Secret
metadata: {name: argocd-secret, namespace: argocd, labels: {app.kubernetes.io/part-of: argocd}}
---
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: default, namespace: argocd}
spec:
  sourceRepos: ["*"]
  destinations: [{server: "*", namespace: "*"}]
  clusterResourceWhitelist: [{group: "*", kind: "*"}]
"""


def argocd_system(
    binary: Path, version: str, redis_port: int, repo_port: int, workdir: Path
) -> dict[str, Any]:
    """Argo CD's own processes, as its ``make start-local`` (Procfile) runs them outside a cluster:
    the same environment, GnuPG off, TLS between controller and repo server as installed."""
    local = workdir / "argocd-local"
    for sub in ("gpg/keys", "gpg/source", "tls", "ssh"):
        (local / sub).mkdir(parents=True, exist_ok=True)
    env = {
        "ARGOCD_FAKE_IN_CLUSTER": "true",
        "ARGOCD_TLS_DATA_PATH": str(local / "tls"),
        "ARGOCD_SSH_DATA_PATH": str(local / "ssh"),
    }
    repo_env = {
        **env,
        "ARGOCD_BINARY_NAME": "argocd-repo-server",
        "ARGOCD_GNUPGHOME": str(local / "gpg" / "keys"),
        "ARGOCD_GPG_DATA_PATH": str(local / "gpg" / "source"),
        "ARGOCD_GPG_ENABLED": "false",
    }
    settings = workdir / "argocd-settings.yaml"
    settings.write_text(ARGOCD_SETTINGS)
    return {
        "label": f"Argo CD {version} (controller + repo server + Redis)",
        "setup": [
            f"{sys.executable} -m argosy.model.crds | kubectl apply --server-side --force-conflicts -f -",
            "kubectl create namespace argocd --dry-run=client -o yaml | kubectl apply -f -",
            f"kubectl apply --server-side --force-conflicts -f {settings}",
        ],
        "processes": [
            {
                "name": "redis",
                "argv": ["redis-server", "--port", str(redis_port), "--save", ""],
                "ready_tcp": redis_port,
            },
            {
                "name": "repo-server",
                "argv": [str(binary), "--port", str(repo_port), "--redis", f"127.0.0.1:{redis_port}"],
                "env": repo_env,
                "ready_tcp": repo_port,
            },
            {
                "name": "controller",
                "argv": [
                    str(binary),
                    "--kubeconfig",
                    "{kubeconfig}",
                    "--namespace",
                    "argocd",
                    "--repo-server",
                    f"127.0.0.1:{repo_port}",
                    "--redis",
                    f"127.0.0.1:{redis_port}",
                ],
                "env": {**env, "ARGOCD_BINARY_NAME": "argocd-application-controller"},
            },
        ],
        "settle_s": 15,
    }


def per_app(counts: Counter[str], n: int, top: int) -> str:
    """The ``top`` most frequent requests as ``VERB resource count-per-app``, for the reports."""
    return ", ".join(f"{what} {count / n:.1f}" for what, count in counts.most_common(top))


def api_requests(cluster: LocalCluster) -> Counter[str]:
    """Non-watch requests the API server has served so far, by ``VERB resource[/subresource]``."""
    text = cluster.request("/metrics", timeout=30.0)
    counts: Counter[str] = Counter()
    for line in str(text).splitlines():
        if not line.startswith("apiserver_request_total{") or 'verb="WATCH"' in line:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0]))
        what = labels.get("resource", "") + (f"/{labels['subresource']}" if labels.get("subresource") else "")
        counts[f"{labels.get('verb', '?')} {what or labels.get('component', '-')}"] += int(
            float(line.rsplit(" ", 1)[1])
        )
    return counts


def load_driver() -> Any | None:
    """The shared driver as a module, or None (and why, on stderr) when it is not on this machine."""
    if not DRIVER.is_file():
        print(f"the shared driver {DRIVER} is missing; nothing to run", file=sys.stderr)
        return None
    spec = importlib.util.spec_from_file_location("fleet_bench", DRIVER)
    assert spec is not None and spec.loader is not None
    driver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(driver)
    return driver


def main() -> int:
    allow_local_repositories()  # the bench's servers are on loopback, its repositories in /tmp
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, action="append", help="applications (repeatable; default 100)")
    parser.add_argument("--shards", type=int, default=1, help="Argosy controller replicas (--shards auto)")
    parser.add_argument("--controller-arg", action="append", default=[], help="extra argosy controller flag")
    parser.add_argument(
        "--argocd",
        action="store_true",
        help=f"measure Argo CD {build.ARGOCD_VERSION} too, same run (built on first use)",
    )
    parser.add_argument("--argocd-bin", type=Path, help="measure this build of Argo CD's argocd binary too")
    parser.add_argument("--steady-s", type=float, default=180)
    parser.add_argument("--converge-timeout", type=float, default=1200)
    parser.add_argument("--max-load", type=float, default=1.5)
    parser.add_argument("--quiet-timeout", type=float, default=900)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "argosy-fleet-bench")
    parser.add_argument("--keep-cluster", action="store_true")
    parser.add_argument(
        "--kcm-qps",
        type=int,
        default=0,
        help="kube-controller-manager's QPS (0: its default 20, which alone needs ~240 s for "
        "1,000 Deployments; see bench_cluster_floor.py)",
    )
    parser.add_argument("--profile", type=Path, help="write the (first) controller's cProfile here")
    args = parser.parse_args()
    sizes = args.n or [100]
    driver = load_driver()
    if driver is None:
        return 2
    argocd_bin, argocd_version = args.argocd_bin, str(args.argocd_bin)
    if args.argocd or argocd_bin:
        if shutil.which("redis-server") is None:
            print("Argo CD needs Redis: apt-get install redis-server (Debian's package)", file=sys.stderr)
            return 2
        if argocd_bin is None:
            argocd_bin = build.build(build.ARGOCD, progress=print) / "argocd"  # not linked onto PATH
            argocd_version = build.ARGOCD_VERSION

    shutil.rmtree(args.workdir, ignore_errors=True)
    args.workdir.mkdir(parents=True)
    cluster = LocalCluster("fleet-bench")
    nodes = math.ceil(max(sizes) / PODS_PER_NODE) + 1
    cluster.up(nodes=nodes, controller_manager_qps=args.kcm_qps)
    try:
        systems: dict[str, Any] = {
            "argosy": argosy_system(args.shards, driver.free_port(), args.controller_arg, args.profile)
        }
        if argocd_bin:
            systems["argocd"] = argocd_system(
                argocd_bin, argocd_version, driver.free_port(), driver.free_port(), args.workdir
            )
        config = args.workdir / "config.json"
        config.write_text(json.dumps({"systems": systems}, indent=2))
        results = args.workdir / "results.jsonl"
        requests: dict[str, Counter[str]] = {}
        for n in sizes:
            for name in systems:
                before = api_requests(cluster)
                argv = [
                    sys.executable,
                    str(DRIVER),
                    "--config",
                    str(config),
                    "--kubeconfig",
                    str(cluster.kubeconfig),
                ]
                argv += ["--workdir", str(args.workdir), "--run", f"{name}:{n}", "--results", str(results)]
                argv += ["--steady-s", str(args.steady_s), "--converge-timeout", str(args.converge_timeout)]
                argv += ["--max-load", str(args.max_load), "--quiet-timeout", str(args.quiet_timeout)]
                argv += ["--repo-apps", str(max(sizes))]
                started = time.monotonic()
                subprocess.run(
                    argv,
                    check=True,
                    env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"},
                )
                requests[f"{name}:{n}"] = api_requests(cluster) - before
                spent = requests[f"{name}:{n}"]
                print(
                    f"{name} N={n}: {spent.total()} API requests (non-watch) in "
                    f"{time.monotonic() - started:.0f} s, including the driver's polling; per app: "
                    + per_app(spent, n, 40)
                )
        print(driver.report(results))
        for run, count in requests.items():
            print(f"API requests {run}: {count.total()}")
    finally:
        if not args.keep_cluster:
            cluster.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
