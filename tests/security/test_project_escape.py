"""Ways out of an AppProject, each refused: cluster-scoped kinds, other spellings of a forbidden
cluster, resources that name their own namespace, and Applications outside the project's
``sourceNamespaces`` or outside the namespaces Argosy manages.

These are the pure rules the controller and the API server both call (:mod:`argosy.engine.project`,
:mod:`argosy.settings.clusters`); the end-to-end refusal through a real controller and Git server
is in ``test_project_escape_e2e.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from argosy.appstate.settings import ControllerSettings
from argosy.engine.project import check_application, check_resource
from argosy.settings.clusters import ClusterConfig, ClusterList

CP_NS = "argocd"
IN_CLUSTER = {"name": "in-cluster", "server": "https://kubernetes.default.svc"}
PROD = {"name": "prod", "server": "https://10.1.2.3:6443"}
CLUSTERS = [IN_CLUSTER, PROD]


def team_project(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "team-*"}]}
    base.update(spec)
    return {"metadata": {"name": "team"}, "spec": base}


def app(namespace: str = "team-a", app_ns: str = CP_NS, **dest: str) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": app_ns},
        "spec": {
            "project": "team",
            "source": {"repoURL": "https://git.example.com/web.git", "path": "."},
            "destination": {**dest, "namespace": namespace},
        },
    }


def obj(api_version: str, kind: str, name: str, namespace: str = "") -> dict[str, Any]:
    meta = {"name": name, **({"namespace": namespace} if namespace else {})}
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


@pytest.mark.parametrize(
    ("api_version", "kind"),
    [
        ("rbac.authorization.k8s.io/v1", "ClusterRole"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
        ("v1", "Namespace"),
        ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
    ],
)
def test_cluster_scoped_kinds_need_the_whitelist(api_version: str, kind: str) -> None:
    dest = {"server": IN_CLUSTER["server"], "namespace": "team-a"}
    violation = check_resource(
        team_project(), obj(api_version, kind, "x"), namespaced=False, destination=dest, clusters=CLUSTERS
    )
    assert violation is not None and violation.rule == "clusterResourceWhitelist"
    assert kind in violation.message and "project 'team'" in violation.message
    group = api_version.rpartition("/")[0]
    allowed = team_project(clusterResourceWhitelist=[{"group": group, "kind": kind}])
    assert check_resource(allowed, obj(api_version, kind, "x"), namespaced=False, destination=dest) is None


# A project that may deploy anywhere but to the in-cluster destination and to prod.
FENCED = team_project(
    destinations=[
        {"server": "*", "namespace": "*"},
        {"server": "!https://kubernetes.default.svc", "namespace": "*"},
        {"server": "!https://10.1.2.3:6443", "namespace": "*"},
    ]
)


@pytest.mark.parametrize(
    "dest",
    [
        {"server": "https://kubernetes.default.svc"},
        {"server": "https://kubernetes.default.svc/"},
        {"server": " https://kubernetes.default.svc// "},
        {"name": "in-cluster"},
        {"server": "https://10.1.2.3:6443/"},
        {"name": "prod"},
    ],
    ids=lambda d: f"{next(iter(d))}={next(iter(d.values()))!r}",
)
def test_a_forbidden_cluster_is_forbidden_under_every_spelling_the_controller_resolves(
    dest: dict[str, str],
) -> None:
    """The controller finds ``https://kubernetes.default.svc/`` as the in-cluster destination, so
    the project rule written for ``https://kubernetes.default.svc`` must refuse it too (it did not:
    the glob was matched against the URL as typed)."""
    resolved = ClusterList(
        (ClusterConfig(server=IN_CLUSTER["server"], name="in-cluster"), ClusterConfig(**PROD))
    ).resolve(dest.get("server", ""), dest.get("name", ""))
    assert resolved.server in (IN_CLUSTER["server"], PROD["server"])  # the controller would deploy there
    violations = check_application(FENCED, app(**dest), control_plane_namespace=CP_NS, clusters=CLUSTERS)
    assert [v.rule for v in violations] == ["destinations"], violations
    # and a resource of such an app, checked against the app's destination as typed, too
    resource = obj("v1", "ConfigMap", "cm", "team-a")
    violation = check_resource(FENCED, resource, namespaced=True, destination=dest, clusters=CLUSTERS)
    assert violation is not None and violation.rule == "destinations"


@pytest.mark.parametrize(
    "server",
    [
        "HTTPS://KUBERNETES.DEFAULT.SVC",
        "https://Kubernetes.Default.Svc",
        "https://10.96.0.1",
        "https://10.1.2.3",
    ],
)
def test_other_spellings_resolve_to_no_cluster_at_all(server: str) -> None:
    """Case, an IP for a hostname, a missing port: the controller resolves none of them to a
    registered cluster, so nothing is deployed (the app gets an InvalidSpecError condition)."""
    clusters = ClusterList(
        (ClusterConfig(server=IN_CLUSTER["server"], name="in-cluster"), ClusterConfig(**PROD))
    )
    with pytest.raises(LookupError, match="no cluster with server"):
        clusters.resolve(server=server)


def test_resources_that_name_their_own_namespace_are_held_to_the_destinations() -> None:
    """An app with an empty ``destination.namespace`` cannot slip namespaced objects that carry
    their own ``metadata.namespace`` into a namespace the project does not list."""
    project = team_project(
        destinations=[{"server": "*", "namespace": "team-*"}, {"server": "*", "namespace": ""}]
    )
    dest = {"server": IN_CLUSTER["server"], "namespace": ""}
    assert (
        check_application(
            project, app(namespace="", server=IN_CLUSTER["server"]), control_plane_namespace=CP_NS
        )
        == []
    )
    outside = obj("v1", "Secret", "stolen", "kube-system")
    violation = check_resource(project, outside, namespaced=True, destination=dest, clusters=CLUSTERS)
    assert violation is not None and violation.rule == "destinations"
    assert "kube-system" in violation.message and "project 'team'" in violation.message
    inside = obj("v1", "ConfigMap", "ok", "team-a")
    assert check_resource(project, inside, namespaced=True, destination=dest, clusters=CLUSTERS) is None


def test_an_application_outside_the_source_namespaces_breaks_its_project() -> None:
    project = team_project(sourceNamespaces=["team-apps"])
    listed = app(app_ns="team-apps", server=IN_CLUSTER["server"])
    assert check_application(project, listed, control_plane_namespace=CP_NS) == []
    elsewhere = app(app_ns="intruders", server=IN_CLUSTER["server"])
    violations = check_application(project, elsewhere, control_plane_namespace=CP_NS)
    assert [v.rule for v in violations] == ["sourceNamespaces"]
    assert "intruders" in violations[0].message and "spec.sourceNamespaces" in violations[0].message


def test_applications_outside_the_managed_namespaces_are_not_reconciled() -> None:
    """Whatever its project allows, an Application in a namespace ``application.namespaces`` does
    not list is not the controller's: it is never reconciled nor synced."""
    settings = ControllerSettings.from_configmap_data({}, CP_NS, {"application.namespaces": "team-*"})
    assert settings.manages_namespace(CP_NS) and settings.manages_namespace("team-apps")
    assert not settings.manages_namespace("intruders")
    assert not ControllerSettings.from_configmap_data({}, CP_NS).manages_namespace("team-apps")
