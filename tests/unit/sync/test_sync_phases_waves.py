"""Phases, waves and the steps the runner executes."""

from __future__ import annotations

import random

import pytest
from sync_helpers import desired, hook, obj, request, wave

from argosy.engine.sync import Severity, SyncPhase, build_plan, wave_of


def _objects() -> list[dict[str, object]]:
    return [
        hook("Job", "pre", "ns", "PreSync", wave(5)),
        obj("ConfigMap", "cfg", "ns", annotations=wave(-1)),
        obj("Deployment", "web", "ns", api="apps/v1"),
        obj("Service", "late", "ns", annotations=wave(2)),
        hook("Job", "sync-hook", "ns", "Sync"),
        hook("Job", "post", "ns", "PostSync", wave(-3)),
        hook("Job", "on-fail", "ns", "SyncFail"),
    ]


def test_phases_then_waves_then_kind() -> None:
    plan = build_plan(desired(*_objects()), [], request())
    order = [(t.phase.value, t.wave, t.key.name) for t in plan.tasks]
    assert order == [
        ("PreSync", 5, "pre"),
        ("Sync", -1, "cfg"),
        ("Sync", 0, "web"),
        ("Sync", 0, "sync-hook"),
        ("Sync", 2, "late"),
        ("PostSync", -3, "post"),
        ("SyncFail", 0, "on-fail"),
    ]
    assert [(s.phase.value, s.wave, [t.key.name for t in s.tasks]) for s in plan.steps] == [
        ("PreSync", 5, ["pre"]),
        ("Sync", -1, ["cfg"]),
        ("Sync", 0, ["web", "sync-hook"]),
        ("Sync", 2, ["late"]),
        ("PostSync", -3, ["post"]),
    ]
    assert [t.key.name for t in plan.sync_fail] == ["on-fail"]
    assert not plan.blocked


def test_plan_is_the_same_for_any_input_order() -> None:
    baseline = build_plan(desired(*_objects()), [obj("Secret", "gone", "ns")], request(prune=True))
    for seed in range(5):
        objs = _objects()
        random.Random(seed).shuffle(objs)
        again = build_plan(desired(*objs), [obj("Secret", "gone", "ns")], request(prune=True))
        assert again.tasks == baseline.tasks


def test_hook_in_two_phases_runs_in_each() -> None:
    plan = build_plan(desired(hook("Job", "twice", "ns", "PreSync,PostSync")), [], request())
    assert [t.phase for t in plan.tasks] == [SyncPhase.PRE_SYNC, SyncPhase.POST_SYNC]


@pytest.mark.parametrize("text", ["abc", "1.5", " 2", "", "0x10"])
def test_malformed_sync_wave_blocks_the_plan_and_names_the_object(text: str) -> None:
    plan = build_plan(desired(obj("ConfigMap", "cfg", "ns", annotations=wave(text))), [], request())
    assert plan.blocked
    message = plan.failure_message()
    assert "ConfigMap ns/cfg" in message
    assert "argocd.argoproj.io/sync-wave" in message
    assert "integer" in message


@pytest.mark.parametrize(("text", "expected"), [("-7", -7), ("+3", 3), ("0", 0), ("12", 12)])
def test_sync_wave_accepts_go_integers(text: str, expected: int) -> None:
    assert wave_of(obj("ConfigMap", "c", "ns", annotations=wave(text))) == (expected, [])


def test_helm_hook_weight_is_the_wave_unless_sync_wave_is_set() -> None:
    weighted = obj("ConfigMap", "c", "ns", annotations={"helm.sh/hook-weight": "-4"})
    both = obj("ConfigMap", "c", "ns", annotations={"helm.sh/hook-weight": "-4", **wave(2)})
    assert wave_of(weighted) == (-4, [])
    assert wave_of(both) == (2, [])


def test_malformed_helm_weight_is_only_a_warning() -> None:
    value, problems = wave_of(obj("ConfigMap", "c", "ns", annotations={"helm.sh/hook-weight": "high"}))
    assert value == 0
    assert [p.severity for p in problems] == [Severity.WARNING]
    assert "helm.sh/hook-weight" in problems[0].message


def test_step_prunes_come_first_and_writes_are_grouped_by_kind() -> None:
    plan = build_plan(
        desired(obj("ConfigMap", "a", "ns"), obj("ConfigMap", "b", "ns"), obj("Secret", "s", "ns")),
        [obj("Service", "old", "ns")],
        request(prune=True),
    )
    (step,) = plan.steps
    assert [t.key.name for t in step.prunes] == ["old"]
    assert [[t.key.name for t in g] for g in step.kind_groups()] == [["s"], ["a", "b"]]
