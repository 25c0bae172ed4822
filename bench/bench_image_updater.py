"""Benchmark: one image updater cycle over 500 Applications watching 50 images in a local registry.

Starts its own local cluster (``bench-imageupdater``) and a loopback docker-registry,
pushes 50 images with 4 tags each (tests/support/oci_images.py: the registry HTTP
API, no container engine), creates 500 Applications annotated with
``image-list: <registry>/bench/img-<i % 50>:vx`` whose status says they run ``v1``
(no controller: only the updater is measured), then runs two cycles in-process:

1. every app moves to ``v4`` (argocd write-back: one PATCH per app);
2. no new tag: at most one tags-list request per image and nothing written.

Prints wall time, registry requests (by the updater's metrics) and CPU time per cycle.

Recorded 2026-12-02 (2 shared cores, local kube-apiserver): cycle 1: 500 apps, 500 images
updated, 50 registry requests, wall 17.3 s (500 PATCHes + 500 Events against the API server),
CPU 2.2 s; cycle 2: 0 updates, 50 registry requests (one tags list per image), wall 0.45 s, CPU 0.27 s.
Run: .venv/bin/python bench/bench_image_updater.py [--apps 500] [--images 50] [--keep-cluster]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from argosy.controller.bootstrap import bootstrap
from argosy.devcluster.cluster import LocalCluster
from argosy.imageupdater.registries import Registries
from argosy.imageupdater.updater import ImageUpdater
from argosy.kube.clients import KubeClient
from argosy.settings.clusters import in_cluster_config
from support.local_repos import allow_local_repositories
from support.oci_images import ImagePusher
from support.oci_registry import OciRegistry

NS = "argocd"
TAGS = ("v1", "v2", "v3", "v4")


def application(i: int, host: str, images: int) -> dict[str, Any]:
    image = f"{host}/bench/img-{i % images}"
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": f"app-{i:04d}",
            "namespace": NS,
            "annotations": {"argocd-image-updater.argoproj.io/image-list": f"{image}:vx"},
        },
        "spec": {
            "project": "default",
            "source": {
                "repoURL": "https://example.invalid/charts.git",
                "path": "chart",
                "targetRevision": "HEAD",
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "bench"},
        },
        "status": {"sourceType": "Helm", "summary": {"images": [f"{image}:v1"]}},
    }


def cycle(updater: ImageUpdater, label: str) -> tuple[int, int]:
    metrics = updater.metrics
    before = sum(
        s.value
        for m in metrics.registry.collect()
        if m.name == "argocd_image_updater_registry_requests"
        for s in m.samples
        if s.name.endswith("_total")
    )
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    result = updater.run_once()
    wall = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    after = sum(
        s.value
        for m in metrics.registry.collect()
        if m.name == "argocd_image_updater_registry_requests"
        for s in m.samples
        if s.name.endswith("_total")
    )
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    requests = int(after - before)
    print(
        f"{label}: {len(result.outcomes)} apps, {result.updated} images updated, {result.errors} errors, "
        f"{requests} registry requests, wall {wall:.2f}s, CPU {cpu:.2f}s"
    )
    return requests, result.updated


def main() -> None:
    allow_local_repositories()  # the bench's servers are on loopback, its repositories in /tmp
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=500)
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--keep-cluster", action="store_true")
    args = parser.parse_args()
    cluster = LocalCluster("bench-imageupdater")
    cluster.up()
    try:
        with tempfile.TemporaryDirectory() as tmp, OciRegistry(Path(tmp)) as reg:
            pusher = ImagePusher(reg.url)
            for n in range(args.images):
                for i, tag in enumerate(TAGS):
                    pusher.push(f"bench/img-{n}", tag, created=f"2024-0{i + 1}-01T00:00:00Z")
            pusher.close()
            client = KubeClient(in_cluster_config(cluster.kubeconfig))
            bootstrap(client, NS)
            t0 = time.monotonic()
            for i in range(args.apps):
                client.request(
                    "POST",
                    f"/apis/argoproj.io/v1alpha1/namespaces/{NS}/applications",
                    body=application(i, reg.host, args.images),
                )
            print(f"created {args.apps} Applications in {time.monotonic() - t0:.1f}s")
            conf = f"registries:\n- name: bench\n  prefix: {reg.host}\n  api_url: {reg.url}\n  limit: 1000\n"
            updater = ImageUpdater(client, NS, registries=Registries.parse(conf), max_concurrency=10)
            cycle(updater, "cycle 1 (new tags)")
            requests, updated = cycle(updater, "cycle 2 (no new tag)")
            updater.close()
            if requests > args.images or updated:
                raise SystemExit(f"cycle 2 made {requests} registry requests and {updated} updates")
    finally:
        if not args.keep_cluster:
            cluster.down()


if __name__ == "__main__":
    main()
