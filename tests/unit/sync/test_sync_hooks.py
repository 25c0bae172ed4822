"""Hook annotations (Argo CD and Helm), delete policies and generated names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sync_helpers import REVISION, STARTED, desired, hook, obj, request

from argosy.engine.sync import (
    HookDeletePolicy,
    HookType,
    ResourceSelector,
    Severity,
    SyncPhase,
    build_plan,
    generated_hook_name,
    plan_deletion_hooks,
    read_hook,
)


def _annotated(**annotations: str) -> dict[str, object]:
    return obj("Job", "j", "ns", api="batch/v1", annotations=annotations)


def test_ordinary_object_is_not_a_hook() -> None:
    assert read_hook(obj("ConfigMap", "c", "ns")) == (None, [])


def test_argo_hook_list_is_read_in_phase_order() -> None:
    spec, problems = read_hook(_annotated(**{"argocd.argoproj.io/hook": "PostSync, PreSync,PostSync"}))
    assert problems == []
    assert spec is not None
    assert spec.sync_phases == (SyncPhase.PRE_SYNC, SyncPhase.POST_SYNC)
    assert spec.delete_policies == (HookDeletePolicy.BEFORE_HOOK_CREATION,)


def test_skip_alone_skips_and_skip_with_others_is_ignored() -> None:
    alone, _ = read_hook(_annotated(**{"argocd.argoproj.io/hook": "Skip"}))
    mixed, _ = read_hook(_annotated(**{"argocd.argoproj.io/hook": "Skip,Sync"}))
    assert alone is not None and alone.skip
    assert mixed is not None and not mixed.skip and mixed.sync_phases == (SyncPhase.SYNC,)


def test_unknown_hook_is_an_error_with_a_hint() -> None:
    _, problems = read_hook(_annotated(**{"argocd.argoproj.io/hook": "presync"}))
    assert [p.severity for p in problems] == [Severity.ERROR]
    assert "Job.batch ns/j" in problems[0].message
    assert "argocd.argoproj.io/hook" in problems[0].message
    assert "did you mean 'PreSync'" in problems[0].message
    plan = build_plan(desired(_annotated(**{"argocd.argoproj.io/hook": "Pre-Sync"})), [], request())
    assert plan.blocked and "unknown hook 'Pre-Sync'" in plan.failure_message()


@pytest.mark.parametrize(
    ("helm", "phases", "others"),
    [
        ("pre-install", (SyncPhase.PRE_SYNC,), ()),
        ("pre-upgrade", (SyncPhase.PRE_SYNC,), ()),
        ("post-install", (SyncPhase.POST_SYNC,), ()),
        ("post-upgrade", (SyncPhase.POST_SYNC,), ()),
        ("pre-install,post-upgrade", (SyncPhase.PRE_SYNC, SyncPhase.POST_SYNC), ()),
        ("post-delete", (), (HookType.POST_DELETE,)),
    ],
)
def test_helm_hooks_map_as_argo_cd_maps_them(
    helm: str, phases: tuple[SyncPhase, ...], others: tuple[HookType, ...]
) -> None:
    spec, problems = read_hook(_annotated(**{"helm.sh/hook": helm}))
    assert problems == []
    assert spec is not None and spec.from_helm
    assert spec.sync_phases == phases
    assert all(spec.runs_on(t) for t in others)


def test_helm_crd_install_is_an_ordinary_object() -> None:
    assert read_hook(_annotated(**{"helm.sh/hook": "crd-install"})) == (None, [])


def test_unsupported_helm_hook_is_not_applied_and_says_so() -> None:
    test_hook = _annotated(**{"helm.sh/hook": "test"})
    spec, problems = read_hook(test_hook)
    assert spec is not None and spec.sync_phases == ()
    assert [p.severity for p in problems] == [Severity.WARNING]
    assert "not applied" in problems[0].message
    plan = build_plan(desired(test_hook), [], request())
    assert plan.tasks == () and not plan.blocked
    assert [s.reason for s in plan.skipped] == ["hook with no supported phase"]


def test_argo_hook_wins_over_helm_hook_types_but_delete_policies_merge() -> None:
    spec, _ = read_hook(
        _annotated(
            **{
                "argocd.argoproj.io/hook": "Sync",
                "helm.sh/hook": "pre-install",
                "argocd.argoproj.io/hook-delete-policy": "HookFailed",
                "helm.sh/hook-delete-policy": "hook-succeeded,before-hook-creation",
            }
        )
    )
    assert spec is not None
    assert spec.sync_phases == (SyncPhase.SYNC,)
    assert spec.delete_policies == (
        HookDeletePolicy.HOOK_FAILED,
        HookDeletePolicy.HOOK_SUCCEEDED,
        HookDeletePolicy.BEFORE_HOOK_CREATION,
    )


def test_unknown_delete_policy_is_an_error() -> None:
    _, problems = read_hook(
        _annotated(
            **{"argocd.argoproj.io/hook": "PreSync", "argocd.argoproj.io/hook-delete-policy": "Always"}
        )
    )
    assert [p.severity for p in problems] == [Severity.ERROR]
    assert "hook-delete-policy" in problems[0].message and "'Always'" in problems[0].message


def test_generated_name_follows_argo_cd_and_is_stable() -> None:
    name = generated_hook_name("migrate-", REVISION, SyncPhase.PRE_SYNC, STARTED)
    assert name == f"migrate-0123456-presync-{int(STARTED.timestamp())}"
    assert generated_hook_name("migrate-", REVISION, SyncPhase.PRE_SYNC, STARTED) == name
    assert generated_hook_name("migrate-", REVISION, SyncPhase.POST_SYNC, STARTED) != name
    later = generated_hook_name("migrate-", REVISION, SyncPhase.PRE_SYNC, STARTED + timedelta(seconds=1))
    assert later != name
    naive = STARTED.replace(tzinfo=None)
    assert generated_hook_name("migrate-", REVISION, SyncPhase.PRE_SYNC, naive) == name


def test_plan_names_generate_name_hooks_per_phase_and_a_resumed_plan_names_them_the_same() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "generateName": "migrate-",
            "namespace": "ns",
            "annotations": {"argocd.argoproj.io/hook": "PreSync,PostSync"},
        },
    }
    first = build_plan(desired(job), [], request())
    resumed = build_plan(desired(job), [], request())
    names = [t.key.name for t in first.tasks]
    assert names == [t.key.name for t in resumed.tasks]
    assert names[0].startswith("migrate-0123456-presync-") and names[1].startswith(
        "migrate-0123456-postsync-"
    )
    assert first.tasks[0].target is not None and first.tasks[0].target["metadata"]["name"] == names[0]
    assert "name" not in job["metadata"]  # the rendered object is left untouched


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"apply_only": True}, "hooks do not run in the apply strategy"),
        ({"resources": (ResourceSelector("", "ConfigMap", "c"),)}, "hooks do not run in a partial sync"),
    ],
)
def test_hooks_do_not_run_with_apply_strategy_or_partial_sync(kwargs: dict[str, object], reason: str) -> None:
    plan = build_plan(
        desired(hook("Job", "pre", "ns", "PreSync"), obj("ConfigMap", "c", "ns")), [], request(**kwargs)
    )
    assert [t.key.name for t in plan.tasks] == ["c"]
    assert [(s.key.name, s.reason) for s in plan.skipped] == [("pre", reason)]


def test_skip_hook_is_left_alone() -> None:
    plan = build_plan(desired(hook("ConfigMap", "c", "ns", "Skip")), [], request())
    assert plan.tasks == ()
    assert [s.reason for s in plan.skipped] == ["argocd.argoproj.io/hook: Skip"]


def test_deletion_hooks_are_not_synced_but_planned_for_app_deletion() -> None:
    objs = desired(
        hook("Job", "cleanup-b", "ns", "PostDelete"),
        hook("Job", "cleanup-a", "ns", "PostDelete", {"argocd.argoproj.io/sync-wave": "1"}),
        obj("Job", "helm-cleanup", "ns", api="batch/v1", annotations={"helm.sh/hook": "post-delete"}),
        hook("Job", "pre", "ns", "PreSync"),
    )
    plan = build_plan(objs, [], request())
    assert [t.key.name for t in plan.tasks] == ["pre"]
    tasks, problems = plan_deletion_hooks(objs, HookType.POST_DELETE, request())
    assert problems == ()
    assert [(t.key.name, t.wave, t.phase) for t in tasks] == [
        ("cleanup-b", 0, SyncPhase.POST_DELETE),
        ("helm-cleanup", 0, SyncPhase.POST_DELETE),
        ("cleanup-a", 1, SyncPhase.POST_DELETE),
    ]
