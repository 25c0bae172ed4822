"""With nothing but the namespace install's RBAC (real ServiceAccount tokens, no cluster-wide
rights), each component's first-start work succeeds: the server creates its signing key, the
initial admin password and its certificate; the controller creates the default project and,
like the ApplicationSet controller and the image updater, leaves the CRDs to the bundle
instead of stopping on a forbidden answer."""

from __future__ import annotations

import base64
from pathlib import Path

from argosy.controller.bootstrap import bootstrap, ensure_crds
from argosy.imageupdater.crd import crd_manifest
from argosy.kube.clients import KubeClient
from argosy.model.constants import INITIAL_ADMIN_SECRET
from argosy.server.bootstrap import bootstrap as server_bootstrap
from argosy.server.kubeapi import KubeAPI
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle
from support.install_bundles import WORKLOADS, account_kubeconfig, apply, chart_objects, ensure_cluster_crds


def _client(cluster: ClusterHandle, namespace: str, account: str, folder: Path) -> KubeClient:
    return KubeClient(in_cluster_config(account_kubeconfig(cluster, namespace, account, folder)))


def test_namespace_install_accounts_do_their_first_start(
    cluster: ClusterHandle, namespace: str, tmp_path: Path
) -> None:
    ensure_cluster_crds(cluster)
    objects = [o for o in chart_objects(namespace, ("rbac.scope=namespace",)) if o["kind"] not in WORKLOADS]
    assert apply(cluster, namespace, objects) == []

    server = _client(cluster, namespace, "argosy-server", tmp_path)
    try:
        server_bootstrap(KubeAPI(server), namespace, tls=True)
    finally:
        server.close()
    password = cluster.kubectl(
        "get", "secret", INITIAL_ADMIN_SECRET, "-n", namespace, "-o", "jsonpath={.data.password}"
    ).stdout
    assert len(base64.b64decode(password)) >= 8
    keys = cluster.kubectl("get", "secret", "argocd-secret", "-n", namespace, "-o", "jsonpath={.data}").stdout
    for key in ("server.secretkey", "admin.password", "tls.crt", "tls.key"):
        assert f'"{key}"' in keys, key

    for account in ("argosy-application-controller", "argosy-applicationset-controller"):
        client = _client(cluster, namespace, account, tmp_path)
        try:
            bootstrap(client, namespace)  # forbidden CRD and namespace reads are skipped
        finally:
            client.close()
    updater = _client(cluster, namespace, "argosy-image-updater", tmp_path)
    try:
        ensure_crds(updater, crds=[crd_manifest()])
    finally:
        updater.close()
    assert cluster.kubectl("get", "appproject", "default", "-n", namespace).returncode == 0
