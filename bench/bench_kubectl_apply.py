"""What one ``kubectl apply`` of N Applications costs kubectl, with no controller running.

The fleet benchmark's clock starts with the shared driver's ``kubectl apply`` of N
Applications, and kubectl reads the whole file before it creates anything: for every object
it checks, against the group's OpenAPI v3 document, that the API server takes server-side
field validation — parsing the whole document (every CRD of ``argoproj.io/v1alpha1``) once
per object. The document's size is therefore paid N times before the first Application exists.

This bench starts a local cluster (``kubectl-apply``, one node), installs the CRDs
(this checkout's, or ``--crds FILE`` to compare another set: an older Argosy's from
``python -m argosy.model.crds``, or Argo CD's), and times the driver's own Applications
manifest (``applications_yaml``) through ``kubectl apply``: wall seconds until kubectl
returns, its CPU seconds, and the OpenAPI document's size. Nothing reconciles the
Applications; they are deleted after each round.

Run (keep the machine otherwise idle)::

    .venv/bin/python bench/bench_kubectl_apply.py --n 1000
    .venv/bin/python bench/bench_kubectl_apply.py --n 1000 --crds /tmp/older-crds.yaml
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from argosy.controller.bootstrap import ensure_crds
from argosy.devcluster.cluster import LocalCluster
from argosy.kube.clients import KubeClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_fleet import load_driver

GROUP_DOC = "/openapi/v3/apis/argoproj.io/v1alpha1"


def children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def group_document(kc: list[str], timeout: float = 60) -> bytes:
    """The group's OpenAPI v3 document, once the API server publishes it (a moment after the
    CRDs are established)."""
    deadline = time.monotonic() + timeout
    while True:
        got = subprocess.run([*kc, "get", "--raw", GROUP_DOC], capture_output=True)
        if got.returncode == 0 or time.monotonic() > deadline:
            got.check_returncode()
            return got.stdout
        time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="Applications in the one apply")
    parser.add_argument("--rounds", type=int, default=2, help="applies (each on a clean namespace)")
    parser.add_argument("--crds", type=Path, help="CRDs to install instead of this checkout's")
    parser.add_argument("--keep-cluster", action="store_true")
    args = parser.parse_args()
    driver = load_driver()
    if driver is None:
        return 2
    cluster = LocalCluster("kubectl-apply")
    cluster.up(nodes=1)
    kc = ["kubectl", f"--kubeconfig={cluster.kubeconfig}"]
    try:
        crds = (
            [d for d in yaml.safe_load_all(args.crds.read_text(encoding="utf-8")) if d] if args.crds else None
        )
        ensure_crds(KubeClient.from_kubeconfig(cluster.kubeconfig), crds=crds)  # and waits until served
        subprocess.run([*kc, "create", "namespace", driver.NS], check=False, capture_output=True)
        doc = group_document(kc)
        with tempfile.TemporaryDirectory() as tmp:
            manifest = Path(tmp) / "applications.yaml"
            manifest.write_text(driver.applications_yaml(args.n, "git://127.0.0.1:1/fleet.git"))
            print(f"{GROUP_DOC}: {len(doc) / 1000:.0f} KB; applying {args.n} Applications, load "
                  f"{os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
            for round_ in range(1, args.rounds + 1):
                cpu0, t0 = children_cpu_s(), time.monotonic()
                subprocess.run([*kc, "apply", "-f", str(manifest)], check=True, capture_output=True)
                wall, cpu = time.monotonic() - t0, children_cpu_s() - cpu0
                print(f"round {round_}: kubectl apply {wall:.1f} s wall, {cpu:.1f} CPU-s "
                      f"({cpu / args.n * 1000:.0f} ms per Application)", flush=True)  # fmt: skip
                subprocess.run([*kc, "delete", "applications.argoproj.io", "--all", "-n", driver.NS,
                                "--wait=true"], check=True, capture_output=True)  # fmt: skip
    finally:
        if not args.keep_cluster:
            cluster.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
