"""Benchmark: compare (diff + health) of 1,000 objects, the per-reconcile cost of a big app.

Pure: no cluster. Run: .venv/bin/python bench/bench_compare.py [--objects 1000] [--runs 5]
[--jq none|in-process|pool]: with an ignoreDifferences jq rule matching every object, run in
this process (unbounded) or in the bounded worker pool the controller uses; the first run
shows the cold cost, the median the cost of a reconcile whose objects did not change.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from typing import Any

from argosy.appstate.compare import compare_app
from argosy.appstate.settings import ControllerSettings
from argosy.engine.diff import DiffConfig, InProcessJq, JqRunner
from argosy.engine.sync import ResourceKey

APP = {
    "metadata": {"name": "big", "namespace": "argocd"},
    "spec": {
        "project": "default",
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "big"},
    },
}


def _objects(n: int) -> tuple[list[dict[str, Any]], dict[ResourceKey, dict[str, Any]]]:
    desired, live = [], {}
    for i in range(n):
        kind = ("Deployment", "Service", "ConfigMap", "Secret")[i % 4]
        if kind == "Deployment":
            obj: dict[str, Any] = {
                "apiVersion": "apps/v1",
                "kind": kind,
                "metadata": {"name": f"d{i}", "namespace": "big"},
                "spec": {
                    "replicas": 2,
                    "selector": {"matchLabels": {"app": f"d{i}"}},
                    "template": {
                        "metadata": {"labels": {"app": f"d{i}"}},
                        "spec": {
                            "containers": [
                                {"name": "c", "image": "img:1", "resources": {"limits": {"cpu": "1"}}}
                            ]
                        },
                    },
                },
            }
        elif kind == "Service":
            obj = {
                "apiVersion": "v1",
                "kind": kind,
                "metadata": {"name": f"s{i}", "namespace": "big"},
                "spec": {"ports": [{"port": 80}], "selector": {"app": "x"}},
            }
        elif kind == "ConfigMap":
            obj = {
                "apiVersion": "v1",
                "kind": kind,
                "metadata": {"name": f"c{i}", "namespace": "big"},
                "data": {f"k{j}": "v" * 40 for j in range(10)},
            }
        else:
            obj = {
                "apiVersion": "v1",
                "kind": kind,
                "metadata": {"name": f"x{i}", "namespace": "big"},
                "data": {"password": "c2VjcmV0"},
            }
        desired.append(obj)
        running = copy.deepcopy(obj)
        meta = running["metadata"]
        meta.update(labels={"app.kubernetes.io/instance": "big"}, uid=f"u{i}", resourceVersion=str(i))
        if kind == "Deployment":
            running["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "1000m"
            running["spec"]["strategy"] = {"type": "RollingUpdate"}
            running["status"] = {
                "replicas": 2,
                "updatedReplicas": 2,
                "availableReplicas": 2,
                "readyReplicas": 2,
                "observedGeneration": 1,
            }
            meta["generation"] = 1
        if kind == "Service":
            running["spec"].update(clusterIP="10.96.0.10", type="ClusterIP", sessionAffinity="None")
            running["spec"]["ports"][0].update(protocol="TCP", targetPort=80)
        live[ResourceKey.of(running)] = running
    return desired, live


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--objects", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--jq", choices=("none", "in-process", "pool"), default="none")
    args = parser.parse_args()
    desired, live = _objects(args.objects)
    settings = ControllerSettings.from_configmap_data({})
    config = None
    if args.jq != "none":
        from argosy.sandbox.jq_pool import bounded_jq

        runner: JqRunner = InProcessJq() if args.jq == "in-process" else bounded_jq()
        rules = [{"group": "*", "kind": "*", "jqPathExpressions": ['.metadata.labels["no-such-label"]']}]
        config = DiffConfig.build({}, rules, APP["metadata"]["name"], jq=runner)
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        result = compare_app(APP, desired, live, live.get, settings, lambda g, k: True, diff_config=config)
        timings.append(time.perf_counter() - started)
    out_of_sync = len(result.out_of_sync())
    median_ms = statistics.median(timings) * 1000
    print(
        f"compare (diff + health) of {args.objects} objects: median {median_ms:.0f} ms, "
        f"min {min(timings) * 1000:.0f} ms, first {timings[0] * 1000:.0f} ms over {args.runs} runs "
        f"(jq: {args.jq}); "
        f"{out_of_sync} out of sync (expected 0: server defaults are not drift); app health {result.health}"
    )


if __name__ == "__main__":
    main()
