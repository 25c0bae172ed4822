"""Enforcer semantics users rely on: the seed's policies, deny-wins, default role, match modes."""

from __future__ import annotations

import pytest

from argosy.server.rbac import Enforcer, PolicyError, config_from_data, validate_policy
from argosy.server.rbac.matching import glob_value_match, regex_match

SEED = """
p, role:guest, applications, get, default/*, allow
g, michele, role:guest
"""


def test_seed_guest_sees_but_cannot_sync() -> None:
    enf = Enforcer(SEED)
    assert enf.enforce("michele", "applications", "get", "default/simple-app")
    assert not enf.enforce("michele", "applications", "sync", "default/simple-app")
    assert not enf.enforce("michele", "applications", "get", "time-coffee/web")


def test_seed_single_app_sync_grant() -> None:
    enf = Enforcer(SEED + "p, michele, applications, sync, default/simple-app, allow\n")
    assert enf.enforce("michele", "applications", "sync", "default/simple-app")
    assert not enf.enforce("michele", "applications", "sync", "default/simple-app-2")
    assert not enf.enforce("michele", "applications", "sync", "default/other")


def test_seed_project_admin_is_confined_to_its_project() -> None:
    enf = Enforcer(
        "p, role:time-coffee-admin, *, *, time-coffee/*, allow\ng, barista, role:time-coffee-admin\n"
    )
    for action in ("get", "sync", "delete", "update", "create", "action/apps/Deployment/restart"):
        assert enf.enforce("barista", "applications", action, "time-coffee/web")
        assert not enf.enforce("barista", "applications", action, "default/simple-app")
    assert not enf.enforce("barista", "projects", "delete", "default")


def test_explicit_deny_wins_within_subject_and_roles() -> None:
    enf = Enforcer(
        """
        p, role:dev, applications, *, */*, allow
        p, role:dev, applications, delete, prod/*, deny
        g, alice, role:dev
        """
    )
    assert enf.enforce("alice", "applications", "delete", "staging/api")
    assert not enf.enforce("alice", "applications", "delete", "prod/api")


def test_default_role_is_checked_first_so_user_deny_does_not_remove_it() -> None:
    enf = Enforcer("p, bob, applications, get, */*, deny", default_role="role:readonly")
    assert enf.enforce("bob", "applications", "get", "any/app")
    assert not enf.enforce("bob", "applications", "sync", "any/app")


def test_admin_is_admin_only_with_builtin_policy() -> None:
    assert Enforcer().enforce("admin", "clusters", "delete", "https://kubernetes.default.svc")
    assert not Enforcer(builtin="").enforce("admin", "clusters", "delete", "https://kubernetes.default.svc")


def test_group_needs_a_g_line() -> None:
    enf = Enforcer(
        "p, my-org:ops, applications, sync, */*, allow\np, role:ro, applications, get, */*, allow\n"
    )
    assert not enf.enforce_subjects("carol", ["my-org:ops"], "applications", "sync", "a/b")
    bound = Enforcer("p, role:ops, applications, sync, */*, allow\ng, my-org:ops, role:ops\n")
    assert bound.enforce_subjects("carol", ["my-org:ops"], "applications", "sync", "a/b")
    assert not bound.enforce_subjects("carol", ["my-org:dev"], "applications", "sync", "a/b")


def test_regex_mode_star_is_not_a_wildcard() -> None:
    enf = Enforcer("p, alice, applications, get, default/*, allow", match_mode="regex")
    # "default/*" as a regex means "default" followed by zero or more "/": it matches anywhere in the value
    assert enf.enforce("alice", "applications", "get", "default/x")
    regex = Enforcer("p, alice, applications, get, ^default/[a-z]+$, allow", match_mode="regex")
    assert regex.enforce("alice", "applications", "get", "default/web")
    assert not regex.enforce("alice", "applications", "get", "default/web-2")
    assert not regex.enforce("alice", "applications", "get", "xdefault/web")


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("default/app", "*", True),
        ("default/app", "default/*", True),
        ("default/app", "def?ult/app", True),
        ("prod/app", "{prod,stage}/*", True),
        ("dev/app", "{prod,stage}/*", False),
        ("a.b", "a.b", True),
        ("axb", "a.b", False),
        ("app1", "app[0-9]", True),
        ("appx", "app[!x]", False),
        ("x", "[", False),
        ("*", "\\*", True),
        ("a", "\\*", False),
    ],
)
def test_glob(value: str, pattern: str, expected: bool) -> None:
    assert glob_value_match(value, pattern) is expected


def test_bad_regex_matches_nothing() -> None:
    assert not regex_match("anything", "(")
    assert regex_match("https://github.com/argoproj/x.git", "github\\.com/argoproj/")


def test_policy_error_names_source_and_line() -> None:
    with pytest.raises(PolicyError) as info:
        Enforcer("p, alice, applications, get, */*, allow\np, bob, applications, get */*, allow\n")
    text = str(info.value)
    assert "policy.csv line 2" in text
    assert "6 fields" in text
    assert "'p, bob, applications, get */*, allow'" in text


def test_quoted_fields_and_bad_quotes() -> None:
    assert validate_policy('p, "role,admin", applications, get, "*/*", allow') == []
    problems = validate_policy('p, ro"le, applications, get, */*, allow')
    assert problems and "bare" in problems[0].reason
    assert Enforcer('p, "role,admin", applications, get, "*/*", allow\ng, x, "role,admin"').enforce(
        "x", "applications", "get", "p/a"
    )


def test_configmap_keys_are_joined_in_sorted_order_and_errors_name_the_key() -> None:
    cfg = config_from_data(
        {
            "policy.csv": "g, alice, role:b\n",
            "policy.z.csv": "p, role:b, applications, get, */*, allow\n",
            "policy.a.csv": "p, role:b, applications, get, secret/*, deny\n",
            "policy.default": "role:readonly",
            "policy.matchMode": "glob",
            "scopes": "[groups, email]",
        }
    )
    assert [s.name for s in cfg.sources] == [
        "argocd-rbac-cm key policy.csv",
        "argocd-rbac-cm key policy.a.csv",
        "argocd-rbac-cm key policy.z.csv",
    ]
    assert cfg.default_role == "role:readonly"
    assert cfg.scopes == ("groups", "email")
    enf = Enforcer.from_config(cfg)
    assert not enf.enforce("alice", "applications", "sync", "x/y")
    assert enf.enforce("alice", "applications", "get", "x/y")
    with pytest.raises(PolicyError, match=r"argocd-rbac-cm key policy.b.csv line 1"):
        Enforcer.from_config(config_from_data({"policy.b.csv": "oops"}))


def test_odd_configmap_values_warn_instead_of_crashing() -> None:
    cfg = config_from_data({"policy.matchMode": "fuzzy", "scopes": "{not: a list}", "policy.csv": None})
    assert cfg.match_mode == "glob"
    assert cfg.scopes == ("groups",)
    assert any("policy.matchMode" in w for w in cfg.warnings)
    assert any("scopes" in w for w in cfg.warnings)


def test_broken_runtime_policy_is_ignored_not_fatal() -> None:
    enf = Enforcer("p, alice, applications, get, */*, allow")
    assert enf.enforce("alice", "applications", "get", "p/a", runtime_policy="garbage line")
    assert not enf.enforce("bob", "applications", "get", "p/a", runtime_policy="garbage line")
