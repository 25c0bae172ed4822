"""AppProject views: Argo CD projects survive a round trip; rule mistakes are named by path."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from argosy.model import AppProject, SyncWindow

MANIFESTS = Path(__file__).parent / "manifests"


def load() -> dict[str, Any]:
    data = yaml.safe_load((MANIFESTS / "appproject.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_round_trip_is_exact() -> None:
    data = load()
    proj = AppProject.from_dict(copy.deepcopy(data))
    assert proj.errors == []
    assert proj.to_dict() == data


def test_fields_are_typed() -> None:
    proj = AppProject.from_dict(load())
    spec = proj.spec
    assert spec.source_repos[2] == "!https://github.com/example/shared-secret.git"
    assert [(d.server, d.name, d.namespace) for d in spec.destinations] == [
        ("https://kubernetes.default.svc", "", "coffee-*"),
        ("", "edge-*", "*"),
    ]
    assert [(g.group, g.kind) for g in spec.cluster_resource_whitelist] == [("*", "*")]
    assert spec.namespace_resource_whitelist[1].group == ""
    assert spec.orphaned_resources is not None and spec.orphaned_resources.warn is True
    role = spec.role("ci")
    assert role is not None and role.groups == ["coffee-admins"]
    assert role.jwt_tokens[0].iat == 1735689600 and role.jwt_tokens[0].exp == 1767225600
    allow, deny = spec.sync_windows
    assert (allow.kind, allow.time_zone, allow.manual_sync, allow.and_operator) == (
        "allow",
        "Europe/Paris",
        True,
        False,
    )
    assert deny.and_operator and deny.clusters == ["in-cluster"]
    assert spec.signature_keys[0].key_id == "4AEE18F83AFDEB23"
    assert spec.destination_service_accounts[0].default_service_account == "coffee-deployer"
    assert spec.source_namespaces == ["coffee-apps"]


def test_adding_a_window_writes_only_what_is_set() -> None:
    data = load()
    proj = AppProject.from_dict(data)
    proj.spec.sync_windows.append(SyncWindow(kind="deny", schedule="0 22 * * *", duration="8h"))
    out = proj.to_dict()
    assert out["spec"]["syncWindows"][-1] == {"kind": "deny", "schedule": "0 22 * * *", "duration": "8h"}
    assert out["spec"]["syncWindows"][:2] == data["spec"]["syncWindows"]


def test_bad_rules_are_reported() -> None:
    data = load()
    data["spec"]["syncWindows"].append({"kind": "block", "schedule": "", "duration": "1h"})
    data["spec"]["clusterResourceWhitelist"].append({"group": "rbac.authorization.k8s.io"})
    data["spec"]["roles"].append({"name": "ci", "jwtTokens": [{"iat": "yesterday"}]})
    data["spec"]["signatureKeys"].append({})
    data["spec"]["sourceRepos"] = "https://github.com/example/coffee.git"
    proj = AppProject.from_dict(copy.deepcopy(data))
    assert proj.errors == [
        "spec.sourceRepos: expected array, got string",
        "spec.roles[1].jwtTokens[0].iat: expected integer, got string",
        "spec.clusterResourceWhitelist[1].kind is required",
        "spec.syncWindows[2].kind: must be allow or deny, got 'block'",
        "spec.syncWindows[2].schedule is required",
        "spec.signatureKeys[1].keyID is required",
        "spec.roles: role 'ci' is defined more than once",
    ]
    assert proj.spec.source_repos == []
    assert proj.to_dict() == data
