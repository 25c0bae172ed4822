"""Project roles, token claims and list filtering: what every API route relies on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argosy.server.rbac import (
    Enforcer,
    app_rbac_object,
    enforce_claims,
    filter_allowed,
    project_policy,
    project_policy_problems,
)

PROJECTS: dict[str, dict[str, Any]] = {
    "time-coffee": {
        "metadata": {"name": "time-coffee"},
        "spec": {
            "roles": [
                {
                    "name": "deployer",
                    "policies": [
                        "p, proj:time-coffee:deployer, applications, sync, time-coffee/*, allow",
                        "p, proj:time-coffee:deployer, applications, get, time-coffee/*, allow",
                        # tries to reach outside its project: must be dropped
                        "p, proj:time-coffee:deployer, applications, sync, default/*, allow",
                        "p, proj:time-coffee:deployer, clusters, delete, *, allow",
                        "p, proj:time-coffee:deployer, projects, delete, time-coffee, allow",
                        "p, role:admin, applications, delete, time-coffee/*, allow",
                    ],
                    "groups": ["my-org:baristas"],
                    "jwtTokens": [{"iat": 1700000000, "id": "tok-1"}],
                }
            ]
        },
    },
    "default": {"metadata": {"name": "default"}, "spec": {}},
}


def lookup(name: str) -> Mapping[str, Any] | None:
    return PROJECTS.get(name)


def test_project_policy_keeps_only_rules_about_its_own_project() -> None:
    policy = project_policy(PROJECTS["time-coffee"])
    assert "p, proj:time-coffee:deployer, projects, get, time-coffee, allow" in policy
    assert "applications, sync, time-coffee/*" in policy
    assert "default/*" not in policy
    assert "clusters" not in policy
    assert "role:admin" not in policy
    assert "projects, delete" not in policy
    assert "g, my-org:baristas, proj:time-coffee:deployer" in policy
    reasons = [p.reason for p in project_policy_problems(PROJECTS["time-coffee"])]
    assert len(reasons) == 4
    assert any("object must be" in r for r in reasons)
    assert any("project resource must be" in r for r in reasons)
    assert any("policy subject must be 'proj:time-coffee:deployer'" in r for r in reasons)


def test_group_bound_to_project_role_gets_project_rights_only() -> None:
    enf = Enforcer()
    claims = {"sub": "carol", "groups": ["my-org:baristas"]}
    assert enforce_claims(enf, claims, "applications", "sync", "time-coffee/web", get_project=lookup)
    assert not enforce_claims(enf, claims, "applications", "sync", "default/web", get_project=lookup)
    assert not enforce_claims(enf, claims, "applications", "delete", "time-coffee/web", get_project=lookup)


def test_project_token_valid_only_for_its_project_and_while_listed() -> None:
    enf = Enforcer()
    token = {"sub": "proj:time-coffee:deployer", "jti": "tok-1", "iat": 1700000000}
    assert enforce_claims(enf, token, "applications", "sync", "time-coffee/web", get_project=lookup)
    assert enforce_claims(enf, token, "projects", "get", "time-coffee", get_project=lookup)
    assert not enforce_claims(enf, token, "applications", "sync", "default/web", get_project=lookup)
    revoked = dict(token, jti="tok-gone")
    assert not enforce_claims(enf, revoked, "applications", "sync", "time-coffee/web", get_project=lookup)
    old_style = {"sub": "proj:time-coffee:deployer", "iat": 1700000000}
    assert enforce_claims(enf, old_style, "applications", "get", "time-coffee/web", get_project=lookup)


def test_local_account_capability_suffix_is_stripped() -> None:
    enf = Enforcer("p, alice, applications, get, */*, allow")
    assert enforce_claims(enf, {"sub": "alice:login"}, "applications", "get", "a/b")
    assert enforce_claims(enf, {"sub": "alice:apiKey"}, "applications", "get", "a/b")
    assert not enforce_claims(enf, {}, "applications", "get", "a/b")


def test_filter_allowed_keeps_order_and_drops_the_rest() -> None:
    enf = Enforcer("p, role:guest, applications, get, default/*, allow\ng, michele, role:guest\n")
    apps = [
        {"metadata": {"name": "simple-app", "namespace": "argocd"}, "spec": {"project": "default"}},
        {"metadata": {"name": "web", "namespace": "argocd"}, "spec": {"project": "time-coffee"}},
        {"metadata": {"name": "other", "namespace": "argocd"}, "spec": {"project": "default"}},
    ]

    def obj(app: dict[str, Any]) -> str:
        return app_rbac_object(
            app["spec"]["project"], app["metadata"]["name"], app["metadata"]["namespace"], "argocd"
        )

    visible = filter_allowed(enf, {"sub": "michele"}, "applications", "get", apps, obj, get_project=lookup)
    assert [a["metadata"]["name"] for a in visible] == ["simple-app", "other"]
    assert filter_allowed(enf, {"sub": "nobody"}, "applications", "get", apps, obj) == []


def test_app_rbac_object_for_apps_in_other_namespaces() -> None:
    assert app_rbac_object("default", "web", "argocd", "argocd") == "default/web"
    assert app_rbac_object("default", "web", "team-a", "argocd") == "default/team-a/web"
    assert app_rbac_object("default", "web") == "default/web"
