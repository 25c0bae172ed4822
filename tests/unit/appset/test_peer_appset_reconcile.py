"""Argo CD's reconcile cases of ../shared/peer-data/appset: writes, policies, validation, finalizers.

The plan of :mod:`argosy.appset.plan` is applied to an in-memory store that
counts writes the way the Go tests count resourceVersions.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
import yaml

from argosy.appset.plan import finalizers_before_delete, owner_reference, plan, updated_object
from argosy.appset.policy import effective_policy, permissions
from argosy.appset.validate import KnownCluster, destination_error, validation_error
from support.peer_data import PEER_DATA

_FILE = PEER_DATA / "appset" / "cases.yaml"
_KINDS = {"reconcile", "reconcile_policy", "delete_finalizer", "validate", "ignore_differences"}
_CASES = (
    [c for c in yaml.safe_load(_FILE.read_text())["cases"] if c["kind"] in _KINDS] if _FILE.is_file() else []
)
_SERVER_SET = (
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "managedFields",
    "ownerReferences",
)


def _clean(app: Mapping[str, Any]) -> Any:
    def drop_empty(v: Any) -> Any:
        if isinstance(v, Mapping):
            return {k: drop_empty(x) for k, x in v.items() if x not in (None, {}, [])}
        return v

    out = copy.deepcopy(dict(app))
    for key in _SERVER_SET:
        out.get("metadata", {}).pop(key, None)
    out.pop("apiVersion", None)
    out.pop("kind", None)
    return drop_empty(out)


def _run_reconcile(case: dict[str, Any]) -> None:
    appset = case["applicationset"]
    owner = owner_reference(appset)
    store = {}
    for app in case["existing"]:
        obj = copy.deepcopy(app)
        obj["metadata"]["ownerReferences"] = [owner]
        store[obj["metadata"]["name"]] = obj
    mode = case["mode"]
    result = plan(
        appset,
        case["desired"],
        list(store.values()),
        update=mode == "create_or_update",
        delete=mode == "delete",
    )
    writes = {}
    for obj in result.create:
        store[obj["metadata"]["name"]] = obj
        writes[obj["metadata"]["name"]] = "created"
    for obj in result.update:
        store[obj["metadata"]["name"]] = obj
        writes[obj["metadata"]["name"]] = "updated"
    for obj in result.delete:
        store.pop(obj["metadata"]["name"])
    for name, kind in (case.get("writes") or {}).items():
        assert writes.get(name, "none") == kind, f"{name}: {writes.get(name, 'none')} != {kind}"
    for want in case.get("expected") or []:
        got = store[want["metadata"]["name"]]
        assert any(
            r.get("controller") and r["name"] == owner["name"] for r in got["metadata"]["ownerReferences"]
        )
        assert _clean(got) == _clean(want)
    for name in case.get("expected_absent") or []:
        assert name not in store


def _run(case: dict[str, Any]) -> None:
    kind = case["kind"]
    if kind == "reconcile":
        _run_reconcile(case)
    elif kind == "reconcile_policy":
        policy = effective_policy(
            case["controller_policy"], case["policy_override"], case["applicationsSync"]
        )
        allowed = permissions(policy)
        for key, value in case["expected"].items():
            assert getattr(allowed, key) is value, key
    elif kind == "delete_finalizer":
        clusters = [KnownCluster(c["name"], c["server"]) for c in case["clusters"]]
        valid = not destination_error(case["destination"], clusters)
        app = {"metadata": {"finalizers": case["finalizers"]}}
        assert (finalizers_before_delete(app, valid) or []) == (case["expected_finalizers"] or [])
    elif kind == "validate":
        clusters = [KnownCluster(c["name"], c["server"]) for c in case["clusters"]]
        invalid = []
        for app in case["apps"]:
            error = validation_error(app, "appset", case["app_projects"], clusters)
            if error:
                invalid.append(str((app.get("metadata") or {}).get("name") or ""))
        assert invalid == case["expected_invalid"]
    elif kind == "ignore_differences":
        appset = {
            "metadata": {"name": "appset"},
            "spec": {"ignoreApplicationDifferences": case["ignoreApplicationDifferences"]},
        }
        live = copy.deepcopy(case["live"])
        live["metadata"]["ownerReferences"] = [owner_reference(appset)]
        obj = updated_object(appset, live, case["desired"])
        if case.get("expected_equivalent") is not None:
            assert (obj is None) is case["expected_equivalent"]
        if case.get("expected_write") == "none":
            assert obj is None
        if "expected_live_after" in case:
            after = obj if obj is not None else live
            assert _clean(after) == _clean(case["expected_live_after"])


@pytest.mark.parametrize("case", _CASES, ids=[f"{c['kind']}:{c['name']}" for c in _CASES])
def test_peer_reconcile_case(case: dict[str, Any]) -> None:
    _run(case)
