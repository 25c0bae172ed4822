"""Server-side diff: compare the API server's dry-run prediction with live."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from argosy.engine.diff import (
    FIELD_MANAGER,
    DiffConfig,
    prediction_key,
    server_side_cache_key,
    server_side_diff,
    with_live_status,
)


def desired() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "prod"},
        "data": {"a": "1"},
    }


def with_server_fields(
    obj: dict[str, Any], rv: str, managed: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["metadata"].update(
        uid="u-1",
        resourceVersion=rv,
        creationTimestamp="2024-01-01T00:00:00Z",
        managedFields=managed
        or [{"manager": FIELD_MANAGER, "operation": "Apply", "fieldsV1": {"f:data": {"f:a": {}}}}],
    )
    return out


def test_identical_prediction_is_synced_despite_server_metadata() -> None:
    live = with_server_fields(desired(), "10")
    predicted = with_server_fields(desired(), "11")
    predicted["metadata"]["managedFields"][0]["time"] = "2024-02-02T00:00:00Z"
    result = server_side_diff(desired(), live, predicted)
    assert not result.modified
    assert result.mode == "server-side"


def test_changed_field_owned_by_argosy_is_drift() -> None:
    live = with_server_fields({**desired(), "data": {"a": "2"}}, "10")
    predicted = with_server_fields(desired(), "11")
    result = server_side_diff(desired(), live, predicted)
    assert [(c.path, c.desired, c.live) for c in result.changes] == [("/data/a", "1", "2")]


def test_webhook_mutation_is_ignored_unless_asked() -> None:
    live = with_server_fields(desired(), "10")
    predicted = with_server_fields(desired(), "11")
    predicted["data"]["injected"] = "by-webhook"
    assert not server_side_diff(desired(), live, predicted).modified
    assert server_side_diff(desired(), live, predicted, include_mutation_webhook=True).modified


def test_field_removed_from_git_is_drift() -> None:
    owned = [{"manager": FIELD_MANAGER, "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}}}}]
    live = with_server_fields({**desired(), "data": {"a": "1", "b": "2"}}, "10", owned)
    predicted = with_server_fields(desired(), "11")  # the dry run dropped b: we no longer apply it
    result = server_side_diff(desired(), live, predicted)
    assert [(c.path, c.desired, c.live) for c in result.changes] == [("/data/b", None, "2")]


def test_ignore_rules_apply() -> None:
    live = with_server_fields({**desired(), "data": {"a": "2"}}, "10")
    predicted = with_server_fields(desired(), "11")
    config = DiffConfig.build(app_ignore_differences=[{"kind": "ConfigMap", "jsonPointers": ["/data/a"]}])
    assert not server_side_diff(desired(), live, predicted, config).modified


def test_secret_values_are_masked() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "c2VjcmV0"}}
    live = with_server_fields(
        {**secret, "data": {"k": "b3RoZXI="}},
        "1",
        [{"manager": FIELD_MANAGER, "fieldsV1": {"f:data": {"f:k": {}}}}],
    )
    predicted = with_server_fields(
        secret, "2", [{"manager": FIELD_MANAGER, "fieldsV1": {"f:data": {"f:k": {}}}}]
    )
    result = server_side_diff(secret, live, predicted)
    assert result.modified
    assert {result.changes[0].desired, result.changes[0].live} == {"+" * 8, "+" * 12}


def test_missing_dry_run_result_is_an_error_naming_the_object() -> None:
    with pytest.raises(ValueError, match="ConfigMap prod/c"):
        server_side_diff(desired(), with_server_fields(desired(), "1"), None)


def test_cache_key_changes_with_desired_or_live_version() -> None:
    key = server_side_cache_key(desired(), "10")
    assert key == server_side_cache_key(copy.deepcopy(desired()), "10")
    assert key != server_side_cache_key(desired(), "11")
    changed = desired()
    changed["data"]["a"] = "2"
    assert key != server_side_cache_key(changed, "10")


def _deployment(rv: str, ready: int, *, replicas: int = 3, status_time: str = "t1") -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "prod",
            "resourceVersion": rv,
            "generation": 1 if replicas == 3 else 2,
            "managedFields": [
                {"manager": FIELD_MANAGER, "operation": "Apply", "time": "t0", "fieldsV1": {"f:spec": {}}},
                {
                    "manager": "kube-controller-manager",
                    "operation": "Update",
                    "subresource": "status",
                    "time": status_time,
                    "fieldsV1": {"f:status": {}},
                },
            ],
        },
        "spec": {"replicas": replicas},
        "status": {"readyReplicas": ready},
    }


def test_a_status_only_change_keeps_the_prediction_key_and_the_status_comes_from_live() -> None:
    want = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 3},
    }
    rolling, rolled = _deployment("10", 1), _deployment("14", 3, status_time="t2")
    assert prediction_key(want, rolling) == prediction_key(want, rolled)
    reused = with_live_status(rolling, rolled)
    assert reused["status"] == {"readyReplicas": 3} and reused["metadata"]["resourceVersion"] == "14"
    assert not server_side_diff(want, rolled, reused).modified
    # A change of spec (or metadata) is a new key: the dry run is asked again.
    assert prediction_key(want, rolling) != prediction_key(want, _deployment("15", 3, replicas=5))
    relabelled = _deployment("16", 3)
    relabelled["metadata"]["labels"] = {"team": "b"}
    assert prediction_key(want, rolling) != prediction_key(want, relabelled)


def test_objects_without_status_or_desired_with_status_are_keyed_by_resource_version() -> None:
    assert prediction_key(desired(), with_server_fields(desired(), "10")) == server_side_cache_key(
        desired(), "10"
    )
    want = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "status": {"x": 1}}
    live = {**want, "metadata": {"name": "g", "resourceVersion": "7"}, "status": {"x": 2}}
    assert prediction_key(want, live) == server_side_cache_key(want, "7")
