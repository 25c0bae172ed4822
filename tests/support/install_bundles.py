"""Applying parts of the install chart to the shared test cluster, and acting as its accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from argosy.controller.bootstrap import ensure_crds
from argosy.devcluster.manifests import CHART, helm_template
from argosy.kube.clients import KubeClient
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle

ROOT = Path(__file__).resolve().parents[2]
WORKLOADS = {"Deployment", "StatefulSet"}


def chart_objects(namespace: str, values: tuple[str, ...]) -> list[dict[str, Any]]:
    """The chart rendered for a release in ``namespace`` (CRDs left out)."""
    rendered = helm_template(ROOT / CHART, values, namespace=namespace, include_crds=False)
    return [o for o in yaml.safe_load_all(rendered) if o]


def apply(cluster: ClusterHandle, namespace: str, objects: list[dict[str, Any]]) -> list[str]:
    """``kubectl apply`` ``objects`` into ``namespace``; returns the cluster-scoped ones
    (``kind/name``), which the caller deletes."""
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=yaml.safe_dump_all(objects))
    cluster_scoped = [o for o in objects if o["kind"].startswith("Cluster")]
    return [f"{o['kind'].lower()}/{o['metadata']['name']}" for o in cluster_scoped]


def ensure_cluster_crds(cluster: ClusterHandle) -> None:
    """The CRDs, applied as every component applies them (identical to the bundles')."""
    client = KubeClient(in_cluster_config(cluster.kubeconfig))
    try:
        ensure_crds(client)
    finally:
        client.close()


def account_kubeconfig(cluster: ClusterHandle, namespace: str, account: str, folder: Path) -> Path:
    """A kubeconfig authenticating with a real token of ServiceAccount ``account``, so requests
    carry exactly the identity and groups a Pod of the bundle would have."""
    token = cluster.kubectl("create", "token", account, "-n", namespace, "--duration=10m").stdout.strip()
    config = yaml.safe_load(cluster.kubeconfig.read_text(encoding="utf-8"))
    for user in config["users"]:
        user["user"] = {"token": token}
    path = folder / f"{account}.kubeconfig"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
