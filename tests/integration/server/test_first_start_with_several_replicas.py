"""Several server replicas starting at once (``install.yaml`` with ``server.replicas: 3``, or a
rollout) set up ``argocd-secret`` exactly once: one admin password, whose clear text in
``argocd-initial-admin-secret`` is the one the stored hash accepts; one signing key; one
certificate, served by every replica. A conflict means another replica won, never an error."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from argosy.kube.clients import KubeClient
from argosy.model.constants import INITIAL_ADMIN_SECRET
from argosy.server.auth.passwords import verify_password
from argosy.server.bootstrap import bootstrap, ensure_admin_password
from argosy.server.kubeapi import KubeAPI
from argosy.server.settings import SECRET, SIGNING_KEY, decode_secret
from argosy.server.tls import KEY_CERT, KEY_KEY
from argosy.settings.clusters import in_cluster_config
from argosy.settings.secrets import secret_text
from support.cluster import ClusterHandle

REPLICAS = 6


def _all_at_once(cluster: ClusterHandle, work: Any) -> list[Any]:
    """Run ``work(kube)`` in REPLICAS threads, each with its own client, released together."""
    clients = [KubeClient(in_cluster_config(cluster.kubeconfig)) for _ in range(REPLICAS)]
    start = threading.Barrier(REPLICAS)

    def replica(client: KubeClient) -> Any:
        start.wait(30)
        return work(KubeAPI(client))

    try:
        with ThreadPoolExecutor(REPLICAS) as pool:
            return list(pool.map(replica, clients))
    finally:
        for client in clients:
            client.close()


@pytest.fixture
def kube(cluster: ClusterHandle) -> Iterator[KubeAPI]:
    client = KubeClient(in_cluster_config(cluster.kubeconfig))
    yield KubeAPI(client)
    client.close()


def _initial_password(kube: KubeAPI, namespace: str) -> str:
    secret = kube.get(namespace, "secrets", INITIAL_ADMIN_SECRET)
    return secret_text(secret, what=INITIAL_ADMIN_SECRET)["password"]


def test_replicas_starting_together_set_up_one_password_one_key_one_certificate(
    cluster: ClusterHandle, namespace: str, kube: KubeAPI
) -> None:
    pairs = _all_at_once(cluster, lambda replica: bootstrap(replica, namespace, tls=True))

    stored = decode_secret(kube.get(namespace, "secrets", SECRET))
    assert verify_password(_initial_password(kube, namespace), stored["admin.password"])
    assert stored[SIGNING_KEY]
    assert {(p.cert_pem, p.key_pem) for p in pairs} == {(stored[KEY_CERT], stored[KEY_KEY])}


def test_exactly_one_replica_creates_the_initial_password(
    cluster: ClusterHandle, namespace: str, kube: KubeAPI
) -> None:
    created = _all_at_once(cluster, lambda replica: ensure_admin_password(replica, namespace))

    winners = [password for password in created if password is not None]
    assert len(winners) == 1, f"{len(winners)} replicas made a password"
    assert _initial_password(kube, namespace) == winners[0]
    assert ensure_admin_password(kube, namespace) is None  # a later start changes nothing
    assert _initial_password(kube, namespace) == winners[0]
    stored = decode_secret(kube.get(namespace, "secrets", SECRET))
    assert verify_password(winners[0], stored["admin.password"])
