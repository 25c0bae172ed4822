"""Apply mode: client-side by default, server-side when asked or when the object is too big."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sync_helpers import crd, desired, missing, obj, request

from argosy.engine.sync import (
    ANNOTATIONS_SIZE_LIMIT,
    Action,
    ApplyMode,
    AppSettings,
    ResolvedOptions,
    Severity,
    build_plan,
    choose_apply_mode,
)
from argosy.engine.sync.apply_mode import annotations_size_with_last_applied, last_applied_configuration


def _crd_of_size(total: int) -> dict[str, Any]:
    """A CRD whose annotations would take exactly ``total`` bytes after a client-side apply."""
    big = crd("example.com", "Widget", "widgets")
    big["spec"]["versions"] = [{"name": "v1", "schema": {"description": ""}}]
    base = annotations_size_with_last_applied(big)
    big["spec"]["versions"][0]["schema"]["description"] = "x" * (total - base)
    assert annotations_size_with_last_applied(big) == total
    return big


def test_last_applied_is_compact_sorted_json_without_itself() -> None:
    o = obj(
        "ConfigMap",
        "c",
        "ns",
        annotations={"kubectl.kubernetes.io/last-applied-configuration": "{old}", "b": "<&>"},
    )
    text = last_applied_configuration(o)
    assert "last-applied" not in text and "{old}" not in text
    assert json.loads(text) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"annotations": {"b": "<&>"}, "name": "c", "namespace": "ns"},
    }
    assert "\\u003c\\u0026\\u003e" in text  # escaped as Go's encoding/json does
    assert " " not in text


def test_default_is_client_side() -> None:
    (task,) = build_plan(desired(obj("ConfigMap", "c", "ns")), [], request()).tasks
    assert (task.action, task.apply_mode) == (Action.APPLY, ApplyMode.CLIENT_SIDE)


def test_crd_at_the_limit_stays_client_side_and_one_byte_more_goes_server_side() -> None:
    at_limit = build_plan(desired(_crd_of_size(ANNOTATIONS_SIZE_LIMIT)), [], request()).tasks[0]
    over = build_plan(desired(_crd_of_size(ANNOTATIONS_SIZE_LIMIT + 1)), [], request()).tasks[0]
    assert at_limit.apply_mode is ApplyMode.CLIENT_SIDE
    assert over.apply_mode is ApplyMode.SERVER_SIDE
    assert str(ANNOTATIONS_SIZE_LIMIT + 1) in over.apply_mode_reason
    assert "262144" in over.apply_mode_reason and "automatically" in over.apply_mode_reason


def test_server_side_apply_from_app_and_object_opt_out() -> None:
    app = AppSettings(sync_options=("ServerSideApply=true",))
    opted_out = obj(
        "ConfigMap",
        "old-style",
        "ns",
        annotations={"argocd.argoproj.io/sync-options": "ServerSideApply=false"},
    )
    plan = build_plan(desired(obj("ConfigMap", "c", "ns"), opted_out), [], request(), app)
    assert {t.key.name: (t.apply_mode, t.apply_mode_reason) for t in plan.tasks} == {
        "c": (ApplyMode.SERVER_SIDE, "ServerSideApply=true"),
        "old-style": (ApplyMode.CLIENT_SIDE, "ServerSideApply=false on the object"),
    }


def test_opting_out_of_server_side_apply_for_a_too_big_object_warns() -> None:
    big = _crd_of_size(ANNOTATIONS_SIZE_LIMIT + 10)
    choice, problems = choose_apply_mode(big, ResolvedOptions(server_side_apply=False), exists=True)
    assert choice.mode is ApplyMode.CLIENT_SIDE
    assert [p.severity for p in problems] == [Severity.WARNING]
    assert "will be rejected" in problems[0].message


@pytest.mark.parametrize(("exists", "action"), [(False, Action.CREATE), (True, Action.REPLACE)])
def test_replace_creates_or_replaces_and_wins_over_server_side_apply(exists: bool, action: Action) -> None:
    app = AppSettings(sync_options=("Replace=true", "ServerSideApply=true"))
    item = desired(obj("ConfigMap", "c", "ns")) if exists else missing(obj("ConfigMap", "c", "ns"))
    (task,) = build_plan(item, [], request(), app).tasks
    assert (task.action, task.apply_mode, task.update_in_place) == (action, ApplyMode.REPLACE, False)


def test_replace_of_a_live_crd_or_namespace_updates_in_place() -> None:
    app = AppSettings(sync_options=("Replace=true",))
    plan = build_plan(
        desired(crd("example.com", "Widget", "widgets"), obj("Namespace", "team")), [], request(), app
    )
    assert all(t.update_in_place and t.action is Action.REPLACE for t in plan.tasks)
    fresh = build_plan(missing(obj("Namespace", "team")), [], request(), app).tasks[0]
    assert (fresh.action, fresh.update_in_place) == (Action.CREATE, False)


def test_last_applied_configuration_is_byte_exact_with_kubectl() -> None:
    """Go's encoding: sorted compact keys, HTML and line-separator escapes, integral floats as
    integers, an empty annotation map kept, and kubectl's trailing newline."""
    from argosy.engine.sync.apply_mode import last_applied_configuration, with_last_applied

    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "namespace": "n"},
        "data": {"html": "<a href='x'>&</a>", "sep": "a\u2028b", "é": "ü"},
        "x": {"one": 1.0, "half": 0.5},
    }
    assert last_applied_configuration(obj) == (
        '{"apiVersion":"v1","data":{"html":"\\u003ca href=\'x\'\\u003e\\u0026\\u003c/a\\u003e",'
        '"sep":"a\\u2028b","é":"ü"},"kind":"ConfigMap","metadata":{"annotations":{},"name":"c",'
        '"namespace":"n"},"x":{"half":0.5,"one":1}}\n'
    )
    applied = with_last_applied(obj)
    assert applied["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/last-applied-configuration": last_applied_configuration(obj)
    }
    assert last_applied_configuration(applied) == last_applied_configuration(obj), "idempotent"
    assert "annotations" not in obj["metadata"], "the input is not modified"
