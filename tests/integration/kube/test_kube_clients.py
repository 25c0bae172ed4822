"""Clients built from Argo CD cluster Secrets reach a real API server (or say why not)."""

from __future__ import annotations

import base64
import json
from typing import Any

import yaml

from argosy.kube.clients import KubeClient
from argosy.kube.discovery import discover
from argosy.settings.clusters import cluster_from_secret
from support.cluster import ClusterHandle


def _cluster_secret(
    handle: ClusterHandle, *, ca: str | None = None, server: str | None = None
) -> dict[str, Any]:
    kc = yaml.safe_load(handle.kubeconfig.read_text())
    user = kc["users"][0]["user"]
    config = {
        "tlsClientConfig": {
            "caData": ca if ca is not None else kc["clusters"][0]["cluster"]["certificate-authority-data"],
            "certData": user["client-certificate-data"],
            "keyData": user["client-key-data"],
        }
    }
    data = {"name": "test", "server": server or handle.server, "config": json.dumps(config)}
    return {
        "kind": "Secret",
        "metadata": {"name": "cluster-test", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
        "data": {k: base64.b64encode(v.encode()).decode() for k, v in data.items()},
    }


def test_client_from_cluster_secret_with_client_certificates(cluster: ClusterHandle) -> None:
    client = KubeClient(cluster_from_secret(_cluster_secret(cluster)))
    try:
        check = client.check(timeout=10)
        assert check.ok, check.message
        assert check.server_version.startswith("v1.")
        resources = discover(client)
        deployments = resources.get("apps", "Deployment")
        assert deployments is not None and deployments.namespaced and deployments.watchable
        assert deployments.path("web", "api") == "/apis/apps/v1/namespaces/web/deployments/api"
        ns = resources.find("v1", "Namespace")
        assert ns is not None and not ns.namespaced
    finally:
        client.close()


def test_wrong_ca_and_closed_port_are_unreachable_with_reasons(cluster: ClusterHandle) -> None:
    other_ca = base64.b64encode(
        b"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n-----END CERTIFICATE-----\n"
    ).decode()
    bad_tls = KubeClient(cluster_from_secret(_cluster_secret(cluster, ca=other_ca)))
    check = bad_tls.check(timeout=5)
    assert not check.ok and "'test'" in check.message and "unreachable" in check.message
    bad_tls.close()
    closed = KubeClient(cluster_from_secret(_cluster_secret(cluster, server="https://127.0.0.1:1")))
    check = closed.check(timeout=5)
    assert not check.ok and "Connection refused" in check.message and "https://127.0.0.1:1" in check.message
    closed.close()
