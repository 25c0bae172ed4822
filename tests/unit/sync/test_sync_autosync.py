"""Automated sync and self-heal decisions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sync_helpers import STARTED

from argosy.engine.sync import (
    AutomatedPolicy,
    LastSync,
    ResourceState,
    SelfHealSettings,
    Verdict,
    auto_sync_operation,
    decide_auto_sync,
)

R1, R2 = "1111111", "2222222"
NOW = STARTED
DRIFTED = (
    ResourceState("apps", "Deployment", "ns", "web", "OutOfSync"),
    ResourceState("", "ConfigMap", "ns", "cfg", "Synced"),
)


def _decide(policy: AutomatedPolicy | None = AutomatedPolicy(), **kwargs: object):  # type: ignore[no-untyped-def]
    kwargs.setdefault("revision", R2)
    kwargs.setdefault("sync_status", "OutOfSync")
    kwargs.setdefault("resources", DRIFTED)
    kwargs.setdefault("last", None)
    kwargs.setdefault("now", NOW)
    return decide_auto_sync(policy, **kwargs)  # type: ignore[arg-type]


def _last(revision: str, phase: str = "Succeeded", ago: float = 60, **kwargs: object) -> LastSync:
    return LastSync(revision, phase, NOW - timedelta(seconds=ago), **kwargs)  # type: ignore[arg-type]


def test_new_revision_is_synced() -> None:
    decision = _decide(last=_last(R1))
    assert decision.verdict is Verdict.SYNC and R2 in decision.reason and not decision.self_heal


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"policy": None}, "not enabled"),
        ({"operation_in_progress": True}, "in progress"),
        ({"deleting": True}, "deleted"),
        ({"sync_status": "Synced"}, "Synced"),
        ({"sync_status": "Unknown"}, "Unknown"),
    ],
)
def test_nothing_to_do(kwargs: dict[str, object], why: str) -> None:
    policy = kwargs.pop("policy", AutomatedPolicy())
    decision = _decide(policy, **kwargs)  # type: ignore[arg-type]
    assert decision.verdict is Verdict.NONE and why in decision.reason


def test_failed_sync_of_a_revision_is_not_retried_until_a_new_revision() -> None:
    failed = _last(R2, "Failed", message="Deployment ns/web: invalid spec")
    decision = _decide(last=failed)
    assert decision.verdict is Verdict.NONE
    assert decision.condition == f"Failed sync attempt to {R2}: Deployment ns/web: invalid spec"
    # even with self-heal: a failed attempt is never repeated by the controller
    assert _decide(AutomatedPolicy(self_heal=True), last=failed).verdict is Verdict.NONE
    assert _decide(last=failed, revision="3333333").verdict is Verdict.SYNC


def test_changed_source_settings_count_as_new() -> None:
    decision = _decide(last=_last(R2, "Failed", same_source=False))
    assert decision.verdict is Verdict.SYNC and "source settings changed" in decision.reason


def test_drift_is_left_alone_without_self_heal() -> None:
    decision = _decide(last=_last(R2))
    assert decision.verdict is Verdict.NONE and "selfHeal is off" in decision.reason


def test_self_heal_waits_for_the_timeout_then_syncs_only_drifted_objects() -> None:
    policy = AutomatedPolicy(self_heal=True)
    waiting = _decide(policy, last=_last(R2, ago=2))
    assert waiting.verdict is Verdict.WAIT and waiting.at == NOW + timedelta(seconds=3)
    healing = _decide(policy, last=_last(R2, ago=5))
    assert healing.verdict is Verdict.SYNC and healing.self_heal
    assert [r.name for r in healing.resources] == ["web"]
    assert healing.self_heal_attempts == 1


def test_self_heal_backs_off_after_repeated_heals_and_resets_after_cooldown() -> None:
    settings = SelfHealSettings()
    assert [settings.delay(n).total_seconds() for n in range(7)] == [5, 5, 6, 18, 54, 162, 300]
    policy = AutomatedPolicy(self_heal=True)
    third = _decide(policy, last=_last(R2, ago=10, self_heal_attempts=3))
    assert third.verdict is Verdict.WAIT and third.at == NOW + timedelta(seconds=8)
    cooled = _decide(policy, last=_last(R2, ago=400, self_heal_attempts=6))
    assert cooled.verdict is Verdict.SYNC and cooled.self_heal_attempts == 1


def test_self_heal_with_unknown_finish_time_waits_the_timeout_from_now() -> None:
    decision = _decide(AutomatedPolicy(self_heal=True), last=LastSync(R2, "Succeeded", None))
    assert decision.verdict is Verdict.WAIT and decision.at == NOW + timedelta(seconds=5)


def test_prune_only_change_waits_for_automated_prune() -> None:
    only_prune = (
        ResourceState("", "ConfigMap", "ns", "gone", "OutOfSync", requires_pruning=True),
        ResourceState("", "ConfigMap", "ns", "kept", "Synced"),
    )
    assert _decide(resources=only_prune).verdict is Verdict.NONE
    assert _decide(AutomatedPolicy(prune=True), resources=only_prune).verdict is Verdict.SYNC


def test_wiping_out_every_object_needs_allow_empty() -> None:
    everything = (ResourceState("", "ConfigMap", "ns", "a", "OutOfSync", requires_pruning=True),)
    refused = _decide(AutomatedPolicy(prune=True), resources=everything)
    assert refused.verdict is Verdict.NONE
    assert refused.condition == f"Skipping sync attempt to {R2}: auto-sync will wipe out all resources"
    allowed = _decide(AutomatedPolicy(prune=True, allow_empty=True), resources=everything)
    assert allowed.verdict is Verdict.SYNC


def test_policy_from_application() -> None:
    def app(automated: object) -> dict[str, object]:
        return {"spec": {"syncPolicy": {"automated": automated}}}

    assert AutomatedPolicy.from_application(app({"prune": True, "selfHeal": True})) == AutomatedPolicy(
        True, True
    )
    assert AutomatedPolicy.from_application(app({"enabled": False, "prune": True})) is None
    assert AutomatedPolicy.from_application({"spec": {"syncPolicy": {}}}) is None
    assert AutomatedPolicy.from_application(app({})) == AutomatedPolicy()


def test_operation_written_for_an_auto_sync() -> None:
    app = {"spec": {"syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]}}}
    op = auto_sync_operation(app, R2, _decide(AutomatedPolicy(prune=True)))
    assert op == {
        "sync": {"revision": R2, "prune": True, "syncOptions": ["CreateNamespace=true"]},
        "initiatedBy": {"automated": True},
        "retry": {"limit": 5},
    }


def test_operation_written_for_a_self_heal() -> None:
    retry = {"limit": 2, "backoff": {"duration": "10s"}}
    app = {"spec": {"syncPolicy": {"automated": {"selfHeal": True}, "retry": retry}}}
    decision = _decide(AutomatedPolicy(self_heal=True), last=_last(R2, ago=60))
    op = auto_sync_operation(app, R2, decision)
    assert op["sync"]["resources"] == [
        {"group": "apps", "kind": "Deployment", "name": "web", "namespace": "ns"}
    ]
    assert op["sync"]["autoHealAttemptsCount"] == 1
    assert op["retry"] == retry
