"""The install bundles against the real API server: each one is accepted as a whole
(server-side dry run into a fresh namespace), and once their RBAC is applied each
ServiceAccount can do what its component does and no more.

The cluster is shared with other tests, so the real apply uses a fresh namespace and the
chart's ``clusterResourceSuffix`` for the ClusterRoles/bindings (the bundles' own names are
fixed, as Argo CD's), deleted afterwards; the bundles themselves are only dry-run.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from argosy.devcluster.manifests import BUNDLES
from support.cluster import ClusterHandle
from support.install_bundles import ROOT, apply, chart_objects, ensure_cluster_crds

RBAC_KINDS = {"ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
#: ``Identities.can``'s namespace for cluster-scoped requests.
CLUSTER = "*"
#: What any authenticated identity may do (discovery, asking about its own rights).
SELF_REVIEWS = {
    "selfsubjectaccessreviews.authorization.k8s.io",
    "selfsubjectrulesreviews.authorization.k8s.io",
    "selfsubjectreviews.authentication.k8s.io",
}


@pytest.mark.parametrize("bundle", [b.path for b in BUNDLES], ids=[b.path.name for b in BUNDLES])
def test_bundle_is_accepted_by_the_api_server(cluster: ClusterHandle, namespace: str, bundle: Path) -> None:
    proc = cluster.kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "--dry-run=server",
        "-n",
        namespace,
        "-f",
        str(ROOT / bundle),
    )
    assert "argosy-application-controller" in proc.stdout


class Identities:
    """``kubectl auth can-i`` as the ServiceAccounts of an install in ``namespace``."""

    def __init__(self, cluster: ClusterHandle, namespace: str) -> None:
        self.cluster, self.namespace = cluster, namespace

    def _as(self, account: str) -> list[str]:
        return [
            f"--as=system:serviceaccount:{self.namespace}:{account}",
            "--as-group=system:serviceaccounts",
            f"--as-group=system:serviceaccounts:{self.namespace}",
            "--as-group=system:authenticated",
        ]

    def can(self, account: str, verb: str, resource: str, namespace: str = "") -> bool:
        """``namespace``: default the install's; CLUSTER: a cluster-scoped request (no namespace)."""
        where = ["--all-namespaces"] if namespace == CLUSTER else ["-n", namespace or self.namespace]
        proc = self.cluster.kubectl("auth", "can-i", verb, resource, *where, *self._as(account), check=False)
        assert proc.stdout.strip() in ("yes", "no"), proc.stderr
        return proc.stdout.strip() == "yes"

    def resource_rules(self, account: str) -> dict[str, str]:
        """``{resource: verbs}`` of ``can-i --list`` in the namespace (non-resource URLs left out)."""
        proc = self.cluster.kubectl("auth", "can-i", "--list", "-n", self.namespace, *self._as(account))
        rules = {}
        for line in proc.stdout.splitlines()[1:]:
            columns = line.split()
            if columns and not columns[0].startswith("["):
                rules[columns[0]] = columns[-1]
        return rules


def _apply_rbac(cluster: ClusterHandle, namespace: str, values: tuple[str, ...]) -> list[str]:
    """Apply the chart's RBAC objects into ``namespace``; returns the cluster-scoped ones created."""
    objects = [o for o in chart_objects(namespace, values) if o["kind"] in RBAC_KINDS]
    return apply(cluster, namespace, objects)


@pytest.fixture(scope="module")
def crds(cluster: ClusterHandle) -> None:
    """kubectl resolves argoproj.io resources only once their CRDs exist."""
    ensure_cluster_crds(cluster)


@pytest.fixture
def cluster_install(cluster: ClusterHandle, namespace: str, crds: None) -> Iterator[Identities]:
    created = _apply_rbac(cluster, namespace, (f"clusterResourceSuffix=-{namespace}",))
    assert len(created) == 6  # controller, server, image updater: a ClusterRole and a binding each
    try:
        yield Identities(cluster, namespace)
    finally:
        cluster.kubectl("delete", "--ignore-not-found", "--wait=false", *created)


@pytest.fixture
def namespace_install(cluster: ClusterHandle, namespace: str, crds: None) -> Identities:
    assert _apply_rbac(cluster, namespace, ("rbac.scope=namespace",)) == []
    return Identities(cluster, namespace)


@pytest.fixture
def elsewhere(cluster: ClusterHandle) -> Iterator[str]:
    """Another namespace, to tell cluster-wide rights from namespaced ones."""
    name = f"t-{uuid.uuid4().hex[:10]}"
    cluster.kubectl("create", "namespace", name)
    try:
        yield name
    finally:
        cluster.kubectl("delete", "namespace", name, "--wait=false")


def _repo_server_reads_nothing(ids: Identities, other: str) -> None:
    rules: dict[str, Any] = ids.resource_rules("argosy-repo-server")
    assert set(rules) <= SELF_REVIEWS, rules
    for resource in ("secrets", "configmaps", "pods", "applications.argoproj.io", "namespaces"):
        for verb in ("get", "list", "watch"):
            assert not ids.can("argosy-repo-server", verb, resource), (verb, resource)
            assert not ids.can("argosy-repo-server", verb, resource, other), (verb, resource, other)
            assert not ids.can("argosy-repo-server", verb, resource, CLUSTER), (verb, resource)


def test_cluster_install_rbac(cluster_install: Identities, elsewhere: str) -> None:
    ids = cluster_install
    _repo_server_reads_nothing(ids, elsewhere)
    for verb in ("create", "patch", "delete", "list", "watch"):
        assert ids.can("argosy-application-controller", verb, "deployments.apps", elsewhere), verb
        assert ids.can(
            "argosy-application-controller", verb, "clusterroles.rbac.authorization.k8s.io", CLUSTER
        ), verb
    for verb in ("get", "create", "update", "delete"):
        assert ids.can("argosy-server", verb, "applications.argoproj.io"), verb
        assert ids.can("argosy-server", verb, "secrets"), verb
    assert ids.can("argosy-server", "get", "pods/log", elsewhere)
    assert ids.can("argosy-server", "patch", "deployments.apps", elsewhere)  # resource actions
    assert not ids.can("argosy-server", "create", "deployments.apps", elsewhere)
    assert not ids.can("argosy-server", "update", "secrets", elsewhere)
    assert ids.can("argosy-applicationset-controller", "create", "applications.argoproj.io")
    assert not ids.can("argosy-applicationset-controller", "create", "applications.argoproj.io", elsewhere)
    assert not ids.can("argosy-applicationset-controller", "delete", "secrets")
    assert ids.can("argosy-image-updater", "patch", "applications.argoproj.io", elsewhere)
    assert not ids.can("argosy-image-updater", "get", "secrets", elsewhere)


def test_namespace_install_rbac_stays_in_its_namespace(namespace_install: Identities, elsewhere: str) -> None:
    ids = namespace_install
    _repo_server_reads_nothing(ids, elsewhere)
    for verb in ("create", "patch", "delete"):
        assert ids.can("argosy-application-controller", verb, "deployments.apps"), verb
        assert not ids.can("argosy-application-controller", verb, "deployments.apps", elsewhere), verb
    assert not ids.can(
        "argosy-application-controller", "create", "clusterroles.rbac.authorization.k8s.io", CLUSTER
    )
    assert not ids.can("argosy-application-controller", "list", "namespaces", CLUSTER)
    assert ids.can("argosy-server", "get", "secrets")
    assert ids.can("argosy-server", "get", "applications.argoproj.io")
    assert not ids.can("argosy-server", "get", "secrets", elsewhere)
    assert not ids.can("argosy-server", "get", "pods/log", elsewhere)
    assert not ids.can("argosy-image-updater", "patch", "applications.argoproj.io", elsewhere)
