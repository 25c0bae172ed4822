"""Sync options: parsing, precedence between app and object, and their effect on the plan."""

from __future__ import annotations

import pytest
from sync_helpers import desired, hook, missing, obj, request

from argosy.engine.sync import (
    AppSettings,
    Severity,
    SyncOptions,
    SyncPhase,
    build_plan,
    parse_options,
    resolve,
)
from argosy.engine.sync.options import app_options
from argosy.model.status import SyncStatusCode


def _parse(*items: str, per_resource: bool = False) -> tuple[SyncOptions, list[str], list[Severity]]:
    opts, problems = parse_options(items, field_name="spec.syncPolicy.syncOptions", per_resource=per_resource)
    return opts, [p.message for p in problems], [p.severity for p in problems]


def test_known_options_are_read() -> None:
    opts, messages, _ = _parse(
        "CreateNamespace=true", " PruneLast=true ", "PrunePropagationPolicy=background", "Prune=confirm"
    )
    assert messages == []
    assert opts.values == {
        "CreateNamespace": "true",
        "PruneLast": "true",
        "PrunePropagationPolicy": "background",
        "Prune": "confirm",
    }


@pytest.mark.parametrize(
    ("item", "hint"),
    [
        ("Replace=True", "did you mean Replace=true?"),
        ("replace=true", "did you mean Replace=true?"),
        ("ServerSideApply", "use ServerSideApply=true or false"),
        ("PrunePropagationPolicy=sideways", "use PrunePropagationPolicy=foreground or background or orphan"),
        ("NoSuchThing=true", "known options: CreateNamespace"),
    ],
)
def test_bad_options_are_errors_with_a_fix(item: str, hint: str) -> None:
    _, messages, severities = _parse(item)
    assert severities == [Severity.ERROR]
    assert "spec.syncPolicy.syncOptions" in messages[0] and repr(item) in messages[0] and hint in messages[0]


def test_conflicting_values_are_an_error() -> None:
    _, messages, _ = _parse("Replace=true", "Replace=false")
    assert len(messages) == 1 and "set twice" in messages[0]


def test_app_only_option_on_an_object_is_ignored_with_a_warning() -> None:
    opts, messages, severities = _parse("CreateNamespace=true", "Validate=false", per_resource=True)
    assert opts.values == {"Validate": "false"}
    assert severities == [Severity.WARNING] and "whole sync" in messages[0]


@pytest.mark.parametrize(
    ("app", "resource", "field", "expected"),
    [
        ({}, {}, "server_side_apply", None),
        ({"ServerSideApply": "true"}, {}, "server_side_apply", True),
        ({"ServerSideApply": "true"}, {"ServerSideApply": "false"}, "server_side_apply", False),
        ({}, {"ServerSideApply": "true"}, "server_side_apply", True),
        ({"Prune": "false"}, {}, "prune", "false"),
        ({"Prune": "false"}, {"Prune": "true"}, "prune", "true"),
        ({}, {"Delete": "confirm"}, "delete", "confirm"),
        ({"Replace": "true"}, {}, "replace", True),
        ({"Replace": "true"}, {"Replace": "false"}, "replace", False),
        ({}, {}, "validate", True),
        ({"Validate": "false"}, {}, "validate", False),
        (
            {"RespectIgnoreDifferences": "true"},
            {"RespectIgnoreDifferences": "false"},
            "respect_ignore_differences",
            False,
        ),
        ({}, {"RespectIgnoreDifferences": "true"}, "respect_ignore_differences", True),
        ({"PruneLast": "true"}, {}, "prune_last", True),
        ({}, {"SkipDryRunOnMissingResource": "true"}, "skip_dry_run_on_missing_resource", True),
        ({"FailOnSharedResource": "true"}, {}, "fail_on_shared_resource", True),
        ({"ClientSideApplyMigration": "false"}, {}, "client_side_apply_migration", False),
    ],
)
def test_object_options_win_over_app_options(
    app: dict[str, str], resource: dict[str, str], field: str, expected: object
) -> None:
    assert getattr(resolve(SyncOptions(app), SyncOptions(resource)), field) == expected


def test_force_from_the_sync_strategy_unless_the_object_says_otherwise() -> None:
    assert resolve(SyncOptions(), SyncOptions(), force=True).force
    assert not resolve(SyncOptions(), SyncOptions({"Force": "false"}), force=True).force


def test_operation_options_replace_the_specs_and_empty_means_the_specs() -> None:
    spec = ["CreateNamespace=true"]
    assert app_options(spec, ["Replace=true"])[0].values == {"Replace": "true"}
    assert app_options(spec, [])[0].values == {"CreateNamespace": "true"}
    assert app_options(spec, None)[0].values == {"CreateNamespace": "true"}
    _, problems = app_options(spec, ["Bogus=1"])
    assert "operation.sync.syncOptions" in problems[0].message


def test_unknown_option_in_an_annotation_blocks_the_plan_and_names_the_object() -> None:
    bad = obj(
        "ConfigMap", "c", "ns", annotations={"argocd.argoproj.io/sync-options": "Replace=true,Valdate=false"}
    )
    plan = build_plan(desired(bad), [], request())
    assert plan.blocked
    assert "ConfigMap ns/c, metadata.annotations[argocd.argoproj.io/sync-options]" in plan.failure_message()
    assert "'Valdate=false'" in plan.failure_message()


def test_apply_out_of_sync_only_skips_synced_objects_but_never_hooks() -> None:
    app = AppSettings(sync_options=("ApplyOutOfSyncOnly=true",))
    objs = [
        *desired(obj("ConfigMap", "same", "ns"), status=SyncStatusCode.SYNCED),
        *desired(obj("ConfigMap", "changed", "ns")),
        *missing(obj("ConfigMap", "new", "ns")),
        *desired(hook("Job", "h", "ns", "PreSync"), status=SyncStatusCode.SYNCED),
    ]
    plan = build_plan(objs, [], request(), app)
    assert sorted(t.key.name for t in plan.tasks) == ["changed", "h", "new"]
    assert [(s.key.name, s.reason) for s in plan.skipped] == [("same", "in sync and ApplyOutOfSyncOnly=true")]
    everything = build_plan(objs, [], request())
    assert len(everything.tasks) == 4


def test_create_namespace_adds_a_presync_namespace_task_when_missing() -> None:
    app = AppSettings(destination_namespace="team", sync_options=("CreateNamespace=true",))
    plan = build_plan(desired(obj("ConfigMap", "c", "team")), [], request(), app)
    first = plan.tasks[0]
    assert (first.phase, first.wave, first.key.kind, first.key.name) == (
        SyncPhase.PRE_SYNC,
        0,
        "Namespace",
        "team",
    )
    assert plan.namespace_task == first
    without = build_plan(
        desired(obj("ConfigMap", "c", "team")), [], request(), AppSettings(destination_namespace="team")
    )
    assert without.namespace_task is None


def test_create_namespace_defers_to_a_namespace_in_the_render() -> None:
    app = AppSettings(destination_namespace="team", sync_options=("CreateNamespace=true",))
    plan = build_plan(desired(obj("Namespace", "team"), obj("ConfigMap", "c", "team")), [], request(), app)
    assert plan.namespace_task is None
    assert [t.key.kind for t in plan.tasks] == ["Namespace", "ConfigMap"]


def test_managed_namespace_metadata_is_applied_until_the_live_namespace_has_it() -> None:
    app = AppSettings(
        destination_namespace="team",
        sync_options=("CreateNamespace=true",),
        managed_namespace_metadata={"labels": {"env": "prod"}, "annotations": {"owner": "a"}},
    )
    plain = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}}
    plan = build_plan(desired(), [], request(), app, destination_namespace_live=plain)
    assert plan.namespace_task is not None and plan.namespace_task.target is not None
    assert plan.namespace_task.target["metadata"] == {
        "name": "team",
        "labels": {"env": "prod"},
        "annotations": {"owner": "a"},
    }
    labelled = {
        "metadata": {"name": "team", "labels": {"env": "prod", "x": "y"}, "annotations": {"owner": "a"}}
    }
    assert (
        build_plan(desired(), [], request(), app, destination_namespace_live=labelled).namespace_task is None
    )
    bare = AppSettings(destination_namespace="team", sync_options=("CreateNamespace=true",))
    assert build_plan(desired(), [], request(), bare, destination_namespace_live=plain).namespace_task is None


def test_app_settings_from_application_json() -> None:
    app = {
        "spec": {
            "destination": {"namespace": "team"},
            "syncPolicy": {
                "automated": {"allowEmpty": True},
                "syncOptions": ["CreateNamespace=true"],
                "managedNamespaceMetadata": {"labels": {"a": "b"}},
            },
        }
    }
    settings = AppSettings.from_application(app)
    assert settings == AppSettings(
        "team", ("CreateNamespace=true",), {"labels": {"a": "b"}}, allow_empty=True
    )
    assert AppSettings.from_application({"spec": "garbage"}) == AppSettings()
