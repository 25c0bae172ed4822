"""Prune: when, in which order, and the empty-render guard."""

from __future__ import annotations

from sync_helpers import REVISION, desired, hook, obj, request, wave

from argosy.engine.sync import (
    Action,
    AppSettings,
    PropagationPolicy,
    ResourceSelector,
    SyncPlan,
    build_plan,
)

PRUNE_LAST = {"argocd.argoproj.io/sync-options": "PruneLast=true"}


def _prunes(plan: SyncPlan) -> list[tuple[str, int, str]]:
    return [(t.key.name, t.wave, t.action.value) for t in plan.tasks if t.is_prune]


def test_prune_off_reports_instead_of_deleting() -> None:
    plan = build_plan(
        desired(obj("ConfigMap", "keep", "ns")), [obj("Secret", "old", "ns")], request(prune=False)
    )
    (task,) = [t for t in plan.tasks if t.is_prune]
    assert task.action is Action.SKIP and task.message == "ignored (requires pruning)"


def test_prune_false_on_the_object_keeps_it_even_when_the_app_prunes() -> None:
    kept = obj("Secret", "kept", "ns", annotations={"argocd.argoproj.io/sync-options": "Prune=false"})
    plan = build_plan(
        desired(obj("ConfigMap", "c", "ns")), [kept, obj("Secret", "gone", "ns")], request(prune=True)
    )
    assert {t.key.name: (t.action, t.message) for t in plan.tasks if t.is_prune} == {
        "gone": (Action.PRUNE, ""),
        "kept": (Action.SKIP, "ignored (no prune)"),
    }


def test_object_prune_option_overrides_the_apps() -> None:
    allowed = obj("Secret", "s", "ns", annotations={"argocd.argoproj.io/sync-options": "Prune=true"})
    app = AppSettings(sync_options=("Prune=false",))
    plan = build_plan(
        desired(obj("ConfigMap", "c", "ns")), [allowed, obj("Secret", "t", "ns")], request(prune=True), app
    )
    assert {t.key.name: t.action for t in plan.tasks if t.is_prune} == {"s": Action.PRUNE, "t": Action.SKIP}


def test_prune_confirm_waits_for_approval() -> None:
    critical = obj("Namespace", "data", annotations={"argocd.argoproj.io/sync-options": "Prune=confirm"})
    waiting = build_plan(desired(obj("ConfigMap", "c", "ns")), [critical], request(prune=True))
    approved = build_plan(
        desired(obj("ConfigMap", "c", "ns")), [critical], request(prune=True, prune_confirmed=True)
    )
    assert [t.requires_confirmation for t in waiting.tasks if t.is_prune] == [True]
    assert [t.requires_confirmation for t in approved.tasks if t.is_prune] == [False]


def test_prune_waves_are_mirrored_so_deletes_reverse_creation() -> None:
    live = [
        obj("ConfigMap", "first", "ns", annotations=wave(1)),
        obj("ConfigMap", "second", "ns", annotations=wave(2)),
        obj("ConfigMap", "third", "ns", annotations=wave(3)),
    ]
    plan = build_plan(desired(obj("Secret", "s", "ns")), live, request(prune=True))
    assert _prunes(plan) == [("third", 1, "prune"), ("second", 2, "prune"), ("first", 3, "prune")]
    third = next(t for t in plan.tasks if t.key.name == "third")
    assert "reverse wave order" in third.notes[0]


def test_prune_last_runs_after_every_other_task() -> None:
    live = [obj("Secret", "late", "ns", annotations=PRUNE_LAST), obj("Secret", "normal", "ns")]
    plan = build_plan(desired(obj("ConfigMap", "c", "ns", annotations=wave(4))), live, request(prune=True))
    assert [(t.key.name, t.wave) for t in plan.tasks] == [("normal", 0), ("c", 4), ("late", 5)]
    assert plan.steps[-1].tasks[0].key.name == "late"


def test_app_level_prune_last_and_negative_waves() -> None:
    app = AppSettings(sync_options=("PruneLast=true",))
    plan = build_plan(
        desired(obj("ConfigMap", "c", "ns", annotations=wave(-3))),
        [obj("Secret", "old", "ns")],
        request(prune=True),
        app,
    )
    # Argo CD counts the last Sync wave from 0, so all-negative waves prune in wave 1.
    assert [(t.key.name, t.wave) for t in plan.tasks] == [("c", -3), ("old", 1)]


def test_prune_last_still_precedes_postsync_hooks() -> None:
    plan = build_plan(
        desired(obj("ConfigMap", "c", "ns"), hook("Job", "after", "ns", "PostSync")),
        [obj("Secret", "late", "ns", annotations=PRUNE_LAST)],
        request(prune=True),
    )
    assert [t.key.name for t in plan.tasks] == ["c", "late", "after"]


def test_live_hooks_are_never_pruned() -> None:
    old_hook = hook("Job", "old-migrate", "ns", "PreSync")
    plan = build_plan(desired(obj("ConfigMap", "c", "ns")), [old_hook], request(prune=True))
    assert [t.key.name for t in plan.tasks] == ["c"]


def test_partial_sync_limits_apply_and_prune() -> None:
    selection = (ResourceSelector("", "ConfigMap", "a"), ResourceSelector("", "Secret", "old", "ns"))
    plan = build_plan(
        desired(obj("ConfigMap", "a", "ns"), obj("ConfigMap", "b", "ns")),
        [obj("Secret", "old", "ns"), obj("Secret", "other", "ns")],
        request(prune=True, resources=selection),
    )
    assert sorted(t.key.name for t in plan.tasks) == ["a", "old"]


def test_propagation_policy_comes_from_the_app() -> None:
    app = AppSettings(sync_options=("PrunePropagationPolicy=orphan",))
    plan = build_plan(
        desired(obj("ConfigMap", "c", "ns")), [obj("Secret", "old", "ns")], request(prune=True), app
    )
    assert {t.options.propagation_policy for t in plan.tasks} == {PropagationPolicy.ORPHAN}
    default = build_plan(
        desired(), [obj("Secret", "old", "ns")], request(prune=True), AppSettings(allow_empty=True)
    )
    assert default.tasks[0].options.propagation_policy is PropagationPolicy.FOREGROUND


def test_empty_render_with_something_to_prune_is_refused() -> None:
    plan = build_plan(desired(), [obj("Deployment", "web", "ns", api="apps/v1")], request(prune=True))
    assert plan.blocked
    message = plan.failure_message()
    assert REVISION in message and "Deployment.apps ns/web" in message and "allowEmpty" in message


def test_a_render_of_only_hooks_counts_as_empty() -> None:
    plan = build_plan(
        desired(hook("Job", "h", "ns", "PreSync")), [obj("Secret", "s", "ns")], request(prune=True)
    )
    assert plan.refusal


def test_empty_render_is_allowed_with_allow_empty_or_when_nothing_would_be_deleted() -> None:
    live = [obj("Secret", "s", "ns")]
    assert not build_plan(desired(), live, request(prune=True), AppSettings(allow_empty=True)).blocked
    assert not build_plan(desired(), live, request(prune=False)).blocked
    kept = [obj("Secret", "s", "ns", annotations={"argocd.argoproj.io/sync-options": "Prune=false"})]
    assert not build_plan(desired(), kept, request(prune=True)).blocked


def test_bad_annotations_on_an_object_being_pruned_only_warn() -> None:
    live = [obj("Secret", "s", "ns", annotations={**wave("x"), "argocd.argoproj.io/sync-options": "Bogus=1"})]
    plan = build_plan(desired(obj("ConfigMap", "c", "ns")), live, request(prune=True))
    assert not plan.blocked
    assert len(plan.warnings) == 2
