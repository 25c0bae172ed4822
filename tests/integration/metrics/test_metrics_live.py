"""The controller's ``/metrics`` after a real sync: Argo CD's names, labels and values."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from argosy.controller.metrics import MetricsEndpoint
from argosy.repo.metrics import REGISTRY as REPO_METRICS
from argosy.settings.repositories import normalize_git_url
from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, sync_status
from support.gitrepo import GitRepo

Sample = tuple[dict[str, str], float]
IN_CLUSTER = "https://kubernetes.default.svc"


def scrape(url: str) -> dict[str, list[Sample]]:
    resp = httpx.get(url, timeout=10)
    assert resp.status_code == 200, resp.text
    out: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(resp.text):
        for s in family.samples:
            out.setdefault(s.name, []).append((dict(s.labels), s.value))
    return out


def total(samples: list[Sample], **labels: str) -> float:
    return sum(v for lbl, v in samples if all(lbl.get(k) == want for k, want in labels.items()))


@pytest.fixture
def running(cluster: ClusterHandle, tmp_path: Path) -> Iterator[tuple[RunningController, MetricsEndpoint]]:
    ctl = RunningController(cluster, tmp_path / "repo-cache").start()
    assert ctl.controller is not None
    endpoint = MetricsEndpoint(ctl.controller.metrics.exposition(REPO_METRICS), "127.0.0.1", 0).start()
    try:
        yield ctl, endpoint
    finally:
        endpoint.stop()
        ctl.stop()


def test_metrics_after_an_automated_sync(
    running: tuple[RunningController, MetricsEndpoint], cluster: ClusterHandle, tmp_path: Path
) -> None:
    ctl, endpoint = running
    repo = GitRepo(tmp_path / "metrics.git")
    docs = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"m{i}"}, "data": {"i": str(i)}}
        for i in range(3)
    ]
    repo.commit({"app/all.yaml": yaml.safe_dump_all(docs)})
    repo_url = f"file://{repo.bare}"
    dest = f"{ctl.namespace}-dest"
    ctl.apply_app(
        "metered",
        {
            "project": "default",
            "source": {"repoURL": repo_url, "path": "app", "targetRevision": "HEAD"},
            "destination": {"server": IN_CLUSTER, "namespace": dest},
            "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]},
        },
    )
    try:
        ctl.wait_app(
            "metered",
            lambda a: (
                sync_status(a) == "Synced"
                and health_status(a) == "Healthy"
                and a["status"]["operationState"]["phase"] == "Succeeded"
            ),
            "synced by auto-sync",
            90,
        )
        # The app store catches up with the final status write through its watch.
        deadline = time.monotonic() + 10
        while True:
            metrics = scrape(endpoint.url)
            info = [
                lbl for lbl, v in metrics.get("argocd_app_info", []) if lbl["name"] == "metered" and v == 1
            ]
            if info and info[0]["sync_status"] == "Synced" and info[0]["health_status"] == "Healthy":
                break
            assert time.monotonic() < deadline, f"argocd_app_info never showed Synced/Healthy: {info}"
            time.sleep(0.1)
    finally:
        cluster.kubectl("delete", "namespace", dest, "--wait=false", check=False)

    assert info[0] == {
        "namespace": ctl.namespace,
        "name": "metered",
        "project": "default",
        "autosync_enabled": "true",
        "repo": normalize_git_url(repo_url),
        "dest_server": IN_CLUSTER,
        "dest_namespace": dest,
        "sync_status": "Synced",
        "health_status": "Healthy",
        "operation": "",
    }
    app_labels = {"namespace": ctl.namespace, "name": "metered", "project": "default"}
    sync = metrics["argocd_app_sync_total"]
    assert total(sync, **app_labels, dest_server=IN_CLUSTER, phase="Succeeded") >= 1
    assert total(sync, name="metered", phase="Failed") == 0
    assert total(metrics["argocd_app_reconcile_count"], namespace=ctl.namespace, dest_server=IN_CLUSTER) >= 1
    assert total(metrics["argocd_app_reconcile_bucket"], namespace=ctl.namespace, le="+Inf") >= 1

    requests = metrics["argocd_app_k8s_request_total"]
    assert total(requests, **app_labels, server=IN_CLUSTER) >= 3  # at least the three ConfigMaps' writes
    assert {lbl["dry_run"] for lbl, _ in requests} <= {"true", "false"}
    assert all(lbl["response_code"].isdigit() for lbl, _ in requests)

    git = metrics["argocd_git_request_total"]
    repo_label = f"file://{repo.bare}"
    assert total(git, repo=repo_label, request_type="ls-remote") >= 1
    assert total(git, repo=repo_label, request_type="fetch") >= 1
    assert total(metrics["argocd_git_request_duration_seconds_count"], repo=repo_label) >= 2

    version = json.loads(cluster.kubectl("get", "--raw", "/version").stdout)
    k8s_version = f"{version['major']}.{version['minor'].rstrip('+')}"
    assert (({"server": IN_CLUSTER, "name": "in-cluster", "k8s_version": k8s_version}, 1.0)) in metrics[
        "argocd_cluster_info"
    ]
    assert ({"server": IN_CLUSTER, "k8s_version": k8s_version}, 1.0) in metrics[
        "argocd_cluster_connection_status"
    ]
    assert total(metrics["argocd_cluster_api_resource_objects"], server=IN_CLUSTER) >= 3
    assert total(metrics["argocd_cluster_api_resources"], server=IN_CLUSTER) >= 1
