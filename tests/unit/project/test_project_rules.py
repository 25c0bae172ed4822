"""AppProject rules: the seed's time-coffee project and each rule on its own."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import pytest

from argosy.engine.project import (
    DEFAULT_PROJECT_SPEC,
    ProjectError,
    check_application,
    check_resource,
    check_resources,
    default_project,
    glob_match,
    is_app_namespace_permitted,
    is_destination_permitted,
    is_group_kind_permitted,
    is_source_permitted,
    normalize_git_url,
    service_account_for,
    validate_project,
)

CP_NS = "argosy"
REPO_A = "https://git.example.com/coffee/app.git"
REPO_B = "https://git.example.com/coffee/infra"
REPO_C = "https://git.example.com/pirate/ship.git"
IN_CLUSTER = {"name": "in-cluster", "server": "https://kubernetes.default.svc"}


def time_coffee(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "sourceRepos": [REPO_A, REPO_B],
        "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "coffee-*"}],
    }
    base.update(spec)
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject",
            "metadata": {"name": "time-coffee", "namespace": CP_NS}, "spec": base}  # fmt: skip


def app(repo: str = REPO_A, namespace: str = "coffee-prod", **dest: str) -> dict[str, Any]:
    destination = dest or {"server": "https://kubernetes.default.svc"}
    return {
        "metadata": {"name": "barista", "namespace": CP_NS},
        "spec": {
            "project": "time-coffee",
            "source": {"repoURL": repo, "path": "deploy"},
            "destination": {**destination, "namespace": namespace},
        },
    }


CLUSTER_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "ClusterRole",
    "metadata": {"name": "pirate"},
}
DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}
DEST = {"server": "https://kubernetes.default.svc", "namespace": "coffee-prod"}


class TestTimeCoffee:
    def test_two_repos_allowed_a_third_refused(self) -> None:
        project = time_coffee()
        assert check_application(project, app(REPO_A), control_plane_namespace=CP_NS) == []
        assert check_application(project, app(REPO_B + ".git"), control_plane_namespace=CP_NS) == []
        [violation] = check_application(project, app(REPO_C), control_plane_namespace=CP_NS)
        assert violation.rule == "sourceRepos"
        assert REPO_C in violation.message and "time-coffee" in violation.message
        assert "spec.sourceRepos" in violation.message

    def test_destinations_limited(self) -> None:
        project = time_coffee()
        [violation] = check_application(project, app(namespace="kube-system"), control_plane_namespace=CP_NS)
        assert violation.rule == "destinations" and "kube-system" in violation.message
        other = app(server="https://10.1.1.1:6443")
        assert [v.rule for v in check_application(project, other, control_plane_namespace=CP_NS)] == [
            "destinations"
        ]

    def test_cluster_role_allowed_only_with_the_whitelist(self) -> None:
        allowed = time_coffee(clusterResourceWhitelist=[{"group": "*", "kind": "*"}])
        assert check_resource(allowed, CLUSTER_ROLE, namespaced=False, destination=DEST) is None
        violation = check_resource(time_coffee(), CLUSTER_ROLE, namespaced=False, destination=DEST)
        assert violation is not None
        assert violation.rule == "clusterResourceWhitelist"
        assert "rbac.authorization.k8s.io/ClusterRole 'pirate'" in violation.message
        assert "spec.clusterResourceWhitelist" in violation.message

    def test_namespaced_resources_all_allowed_without_namespace_whitelist(self) -> None:
        project = time_coffee()
        objs = [(DEPLOYMENT, True), ({**DEPLOYMENT, "metadata": {"name": "x", "namespace": "default"}}, True)]
        [violation] = check_resources(project, objs, destination=DEST)
        assert violation.rule == "destinations" and "'default'" in violation.message


class TestSourceRepos:
    @pytest.mark.parametrize(
        ("patterns", "repo", "allowed"),
        [
            (["*"], REPO_C, True),
            (["https://git.example.com/coffee/*"], REPO_A, True),
            (["https://git.example.com/*"], REPO_A, False),  # '*' does not cross '/'
            (["https://git.example.com/**"], REPO_A, True),
            (["!https://git.example.com/pirate/*", "*"], REPO_C, False),
            (["!https://git.example.com/pirate/*", "*"], REPO_A, True),
            (["*", "!https://git.example.com/pirate/*"], REPO_C, False),  # order does not matter
            (["HTTPS://Git.Example.com/Coffee/App"], REPO_A, True),
            (["git@git.example.com:coffee/app.git"], "ssh://git@git.example.com/coffee/app", True),
            ([], REPO_A, False),
        ],
    )
    def test_globs_and_negation(self, patterns: list[str], repo: str, allowed: bool) -> None:
        assert is_source_permitted({"sourceRepos": patterns}, repo) is allowed

    def test_multi_source_app_checks_every_source(self) -> None:
        a = app()
        a["spec"].pop("source")
        a["spec"]["sources"] = [{"repoURL": REPO_A}, {"repoURL": REPO_C}]
        violations = check_application(time_coffee(), a, control_plane_namespace=CP_NS)
        assert [v.rule for v in violations] == ["sourceRepos"] and REPO_C in violations[0].message


class TestDestinations:
    SPEC: ClassVar[dict[str, Any]] = {"metadata": {"name": "p"}, "spec": {"destinations": [
        {"server": "*", "namespace": "!kube-*"},
        {"server": "*", "namespace": "*"},
        {"name": "!prod", "namespace": "*"},
    ]}}  # fmt: skip

    @pytest.mark.parametrize(
        ("server", "name", "namespace", "allowed"),
        [
            ("https://a", "dev", "web", True),
            ("https://a", "dev", "kube-system", False),
            ("https://a", "prod", "web", False),
        ],
    )
    def test_negation(self, server: str, name: str, namespace: str, allowed: bool) -> None:
        got = is_destination_permitted(self.SPEC, server=server, name=name, namespace=namespace)
        assert got is allowed

    def test_destination_by_name_is_resolved_through_clusters(self) -> None:
        project = time_coffee()
        by_name = app(name="in-cluster")
        assert check_application(project, by_name, control_plane_namespace=CP_NS, clusters=[IN_CLUSTER]) == []
        edge = {"name": "edge", "server": "https://10.0.0.9:6443"}
        project = time_coffee(destinations=[{"server": "https://10.0.0.9:6443", "namespace": "*"}])
        assert (
            check_application(project, app(name="edge"), control_plane_namespace=CP_NS, clusters=[edge]) == []
        )
        assert check_application(project, app(name="edge"), control_plane_namespace=CP_NS) != []

    def test_server_and_name_together_is_an_error(self) -> None:
        both = app(server="https://kubernetes.default.svc", name="in-cluster")
        [violation] = check_application(time_coffee(), both, control_plane_namespace=CP_NS)
        assert violation.rule == "destination" and "keep one" in violation.message

    def test_permit_only_project_scoped_clusters(self) -> None:
        project = time_coffee(
            permitOnlyProjectScopedClusters=True, destinations=[{"server": "*", "namespace": "*"}]
        )
        shared = {"name": "shared", "server": "https://shared"}
        own = {"name": "own", "server": "https://own", "project": "time-coffee"}
        clusters = [shared, own]
        ok = check_application(
            project, app(server="https://own"), control_plane_namespace=CP_NS, clusters=clusters
        )
        assert ok == []
        [violation] = check_application(
            project, app(server="https://shared"), control_plane_namespace=CP_NS, clusters=clusters
        )
        assert violation.rule == "permitOnlyProjectScopedClusters"


class TestResourceLists:
    @pytest.mark.parametrize(
        ("spec", "group", "kind", "namespaced", "allowed"),
        [
            ({}, "rbac.authorization.k8s.io", "ClusterRole", False, False),  # denied by default
            ({"clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}]}, "", "Namespace",
             False, True),
            ({"clusterResourceWhitelist": [{"group": "", "kind": "Namespace"}]}, "rbac.authorization.k8s.io",
             "ClusterRole", False, False),
            ({"clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
              "clusterResourceBlacklist": [{"group": "rbac.authorization.k8s.io", "kind": "Cluster*"}]},
             "rbac.authorization.k8s.io", "ClusterRole", False, False),
            ({}, "apps", "Deployment", True, True),  # no namespace whitelist: all namespaced kinds
            ({"namespaceResourceWhitelist": []}, "apps", "Deployment", True, False),  # explicit empty: none
            ({"namespaceResourceWhitelist": None}, "apps", "Deployment", True, True),
            ({"namespaceResourceWhitelist": [{"group": "apps", "kind": "*"}]}, "apps", "Deployment",
             True, True),
            ({"namespaceResourceWhitelist": [{"group": "apps", "kind": "*"}]}, "", "Secret", True, False),
            ({"namespaceResourceBlacklist": [{"group": "", "kind": "ResourceQuota"}]}, "", "ResourceQuota",
             True, False),
        ],
    )  # fmt: skip
    def test_group_kind(
        self, spec: dict[str, Any], group: str, kind: str, namespaced: bool, allowed: bool
    ) -> None:
        assert is_group_kind_permitted(spec, group, kind, namespaced=namespaced) is allowed

    def test_whitelist_entry_restricted_by_name(self) -> None:
        spec = {"clusterResourceWhitelist": [{"group": "", "kind": "Namespace", "name": "team1-*"}]}
        assert is_group_kind_permitted(spec, "", "Namespace", namespaced=False, name="team1-web")
        assert not is_group_kind_permitted(spec, "", "Namespace", namespaced=False, name="kube-system")

    def test_blacklisted_kind_names_the_blacklist(self) -> None:
        project = time_coffee(namespaceResourceBlacklist=[{"group": "apps", "kind": "Deployment"}])
        violation = check_resource(project, DEPLOYMENT, namespaced=True, destination=DEST)
        assert violation is not None and violation.rule == "namespaceResourceBlacklist"
        assert "remove it from spec.namespaceResourceBlacklist" in violation.message


class TestSourceNamespaces:
    @pytest.mark.parametrize(
        ("patterns", "namespace", "allowed"),
        [
            ([], CP_NS, True),  # the control plane's namespace always may
            ([], "team-a", False),
            (["team-*"], "team-a", True),
            (["/^team-[a-c]$/"], "team-b", True),
            (["/^team-[a-c]$/"], "team-z", False),
        ],
    )
    def test_source_namespaces(self, patterns: list[str], namespace: str, allowed: bool) -> None:
        assert is_app_namespace_permitted({"sourceNamespaces": patterns}, namespace, CP_NS) is allowed

    def test_violation_names_the_rule(self) -> None:
        a = app()
        a["metadata"]["namespace"] = "team-a"
        [violation] = check_application(time_coffee(), a, control_plane_namespace=CP_NS)
        assert violation.rule == "sourceNamespaces" and "team-a" in violation.message


class TestServiceAccounts:
    SPEC: ClassVar[dict[str, Any]] = {"destinationServiceAccounts": [
        {"server": "https://kubernetes.default.svc", "namespace": "coffee-*",
         "defaultServiceAccount": "deployer"},
        {"server": "*", "namespace": "ops", "defaultServiceAccount": "admin-ns:syncer"},
        {"server": "*", "namespace": "bad", "defaultServiceAccount": "a:b:c"},
    ]}  # fmt: skip

    def test_first_match_wins_and_namespace_defaults_to_destination(self) -> None:
        got = service_account_for(
            self.SPEC, server="https://kubernetes.default.svc", namespace="coffee-prod", app_namespace=CP_NS
        )
        assert got == "system:serviceaccount:coffee-prod:deployer"
        got = service_account_for(self.SPEC, server="https://x", namespace="ops", app_namespace=CP_NS)
        assert got == "system:serviceaccount:admin-ns:syncer"

    def test_no_match_and_bad_value_are_errors(self) -> None:
        with pytest.raises(ProjectError, match="no destinationServiceAccounts entry"):
            service_account_for(self.SPEC, server="https://x", namespace="web", app_namespace=CP_NS)
        with pytest.raises(ProjectError, match="NAMESPACE:NAME"):
            service_account_for(self.SPEC, server="https://x", namespace="bad", app_namespace=CP_NS)


def test_default_project_is_permissive_like_argo_cd() -> None:
    project = default_project(CP_NS)
    assert project["metadata"] == {"name": "default", "namespace": CP_NS}
    anywhere = app(REPO_C, namespace="anything", server="https://far-away")
    assert check_application(project, anywhere, control_plane_namespace=CP_NS) == []
    assert check_resource(project, CLUSTER_ROLE, namespaced=False, destination=DEST) is None
    project["spec"]["sourceRepos"].append("x")  # a copy: the constant stays untouched
    assert DEFAULT_PROJECT_SPEC["sourceRepos"] == ["*"]


def test_validate_project_refuses_what_argo_cd_refuses() -> None:
    spec = {
        "sourceRepos": [REPO_A, REPO_A, "!*"],
        "destinations": [{"server": "*", "namespace": "a"}, {"server": "*", "namespace": "a"},
                         {"server": "!*", "namespace": "b"}],
        "sourceNamespaces": ["x", "x"],
    }  # fmt: skip
    rules = sorted(v.rule for v in validate_project({"spec": spec}))
    assert rules == ["destinations", "destinations", "sourceNamespaces", "sourceRepos", "sourceRepos"]
    assert validate_project(time_coffee()) == []


def test_an_invalid_source_namespace_regex_is_reported_and_matches_nothing() -> None:
    spec = {"sourceNamespaces": ["/team-(a/", "/team-b.*/"]}
    [violation] = validate_project({"spec": spec})
    assert violation.rule == "sourceNamespaces"
    assert "spec.sourceNamespaces[0] '/team-(a/' is not a valid regular expression" in violation.message
    assert not is_app_namespace_permitted(spec, "team-(a", CP_NS)
    assert is_app_namespace_permitted(spec, "team-b1", CP_NS)


def test_malformed_input_gives_violations_not_crashes() -> None:
    broken = copy.deepcopy(time_coffee())
    broken["spec"]["destinations"] = ["oops"]
    assert [v.rule for v in check_application(broken, {"spec": {}}, control_plane_namespace=CP_NS)] == [
        "source",
        "destination",
    ]
    assert [v.rule for v in validate_project(broken)] == ["destinations"]


@pytest.mark.parametrize(
    ("pattern", "value", "separators", "matched"),
    [
        ("a*", "abc", "", True),
        ("a*", "a/b", "/", False),
        ("a**", "a/b", "/", True),
        ("{dev,prod}-*", "prod-eu", "", True),
        ("team-[ab]", "team-c", "", False),
        ("team-[!ab]", "team-c", "", True),
        ("team-?", "team-1", "", True),
        ("[unclosed", "[unclosed", "", False),
    ],
)
def test_glob(pattern: str, value: str, separators: str, matched: bool) -> None:
    assert glob_match(pattern, value, separators=separators) is matched


def test_normalize_git_url() -> None:
    assert normalize_git_url("git@GitHub.com:Org/Repo.git") == "git@github.com/org/repo"
    assert normalize_git_url("ssh://git@github.com/org/repo") == "git@github.com/org/repo"
    assert normalize_git_url(" https://github.com/Org/Repo.git ") == "https://github.com/org/repo"
