"""A Namespace or CRD moves ahead of the first object that needs it."""

from __future__ import annotations

from sync_helpers import crd, desired, hook, obj, request, wave

from argosy.engine.sync import SyncPhase, build_plan


def test_namespace_in_a_later_wave_moves_before_the_first_object_in_it() -> None:
    plan = build_plan(
        desired(
            obj("Namespace", "team", annotations=wave(5)),
            obj("ConfigMap", "early", "team", annotations=wave(-2)),
            obj("Deployment", "web", "team", api="apps/v1"),
            obj("ConfigMap", "elsewhere", "other", annotations=wave(-5)),
        ),
        [],
        request(),
    )
    assert [(t.key.kind, t.key.name, t.wave) for t in plan.tasks] == [
        ("ConfigMap", "elsewhere", -5),
        ("Namespace", "team", -2),
        ("ConfigMap", "early", -2),
        ("Deployment", "web", 0),
    ]
    ns = plan.tasks[1]
    assert any("ConfigMap team/early needs it" in note for note in ns.notes)


def test_namespace_already_first_is_not_moved() -> None:
    plan = build_plan(desired(obj("ConfigMap", "c", "team"), obj("Namespace", "team")), [], request())
    assert [t.key.kind for t in plan.tasks] == ["Namespace", "ConfigMap"]
    assert plan.tasks[0].notes == ()


def test_namespace_needed_by_a_presync_hook_moves_into_presync() -> None:
    plan = build_plan(
        desired(obj("Namespace", "team"), hook("Job", "migrate", "team", "PreSync")), [], request()
    )
    assert [(t.phase, t.key.kind) for t in plan.tasks] == [
        (SyncPhase.PRE_SYNC, "Namespace"),
        (SyncPhase.PRE_SYNC, "Job"),
    ]


def test_crd_moves_before_the_first_custom_object_of_its_kind() -> None:
    widget = obj("Widget", "w", "ns", api="example.com/v1", annotations=wave(1))
    other = obj("Gadget", "g", "ns", api="example.com/v1", annotations=wave(0))
    plan = build_plan(
        desired(crd("example.com", "Widget", "widgets", **wave(3)), widget, other), [], request()
    )
    assert [(t.key.kind, t.wave) for t in plan.tasks] == [
        ("Gadget", 0),
        ("CustomResourceDefinition", 1),
        ("Widget", 1),
    ]
    by_kind = {t.key.kind: t for t in plan.tasks}
    # The Widget kind does not exist before its CRD is applied: the dry run must not fail on it.
    assert by_kind["Widget"].skip_dry_run_if_type_missing
    assert not by_kind["Gadget"].skip_dry_run_if_type_missing


def test_crd_without_group_or_kind_is_left_in_place() -> None:
    broken = obj("CustomResourceDefinition", "x", api="apiextensions.k8s.io/v1", annotations=wave(3), spec={})
    plan = build_plan(desired(broken, obj("Widget", "w", "ns", api="example.com/v1")), [], request())
    assert [t.key.kind for t in plan.tasks] == ["Widget", "CustomResourceDefinition"]
