"""A sync survives a controller restart at any point, stops when terminated, and retries as told."""

from __future__ import annotations

from typing import Any

import pytest
from operation_fakes import (
    REVISION,
    Crash,
    FakeApp,
    FakeClock,
    FakeCluster,
    application,
    cm,
    config,
    deployment,
    job,
)

from argosy.controller.operation import OperationRunner, resume_revision


def desired() -> list[dict[str, Any]]:
    return [
        job("migrate", "PreSync"),
        job("seed-", "PreSync", generate=True),
        cm("settings", wave=-1),
        deployment("web"),
        job("smoke", "PostSync", policy="HookSucceeded"),
    ]


def outcome(state: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    return sorted(
        (r["syncPhase"], r["kind"], r["name"].split("-")[0], r["status"], r.get("hookPhase", ""))
        for r in state["syncResult"]["resources"]
    )


def uninterrupted() -> tuple[dict[str, Any], int]:
    clock = FakeClock()
    port = FakeApp(application())
    state = OperationRunner(FakeCluster(clock, job_polls=2), port, config(clock)).run(
        port.app, desired(), [], REVISION, None
    )
    return state, port.patches


REFERENCE, PATCHES = uninterrupted()


@pytest.mark.parametrize("crash_at", range(1, PATCHES + 1))
def test_resume_after_a_crash_at_any_write_finishes_with_the_same_result(crash_at: int) -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock, job_polls=2)

    def crash(port: FakeApp) -> None:
        if port.patches == crash_at:
            raise Crash()

    port = FakeApp(application(), on_patch=crash)
    with pytest.raises(Crash):
        OperationRunner(cluster, port, config(clock)).run(port.app, desired(), [], REVISION, None)

    port.on_patch = None
    clock.sleep(30)  # the controller restarts a little later
    revision = resume_revision(port.app) or REVISION
    state = OperationRunner(cluster, port, config(clock)).run(port.app, desired(), [], revision, None)

    assert state["phase"] == "Succeeded", state["message"]
    assert outcome(state) == outcome(REFERENCE)
    hook_deletes = [k[3] for v, k, _ in cluster.log if v.startswith("delete") and k[3] != "smoke"]
    assert hook_deletes == [], "a hook of this operation was deleted and re-created"
    jobs = {k[3] for k in cluster.objects if k[1] == "Job"}
    assert len([n for n in jobs if n.startswith("seed-")]) == 1
    assert "smoke" not in jobs  # HookSucceeded, deleted at the end
    assert port.reasons().count("OperationStarted") <= 1
    assert len(port.app["status"]["history"]) == 1


def test_resume_refuses_another_revision() -> None:
    clock = FakeClock()
    port = FakeApp(application())
    port.app["status"] = {
        "operationState": {
            "phase": "Running",
            "startedAt": "2024-05-01T11:00:00Z",
            "operation": port.app["operation"],
            "syncResult": {"revision": "ffffffff", "resources": []},
        }
    }
    with pytest.raises(ValueError, match="syncs revision ffffffff"):
        OperationRunner(FakeCluster(clock), port, config(clock)).run(port.app, [], [], REVISION, None)


def test_terminate_while_waiting_for_a_hook_stops_and_deletes_it() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock, job_polls=10**6)  # the hook never finishes

    def user_terminates(port: FakeApp) -> None:
        if any(k[3] == "migrate" for k in cluster.objects) and clock.sleeps:
            port.app["status"]["operationState"]["phase"] = "Terminating"

    port = FakeApp(application(), on_phase_read=user_terminates)
    state = OperationRunner(cluster, port, config(clock)).run(
        port.app, [job("migrate", "PreSync"), cm("c"), job("cleanup", "SyncFail")], [], REVISION, None
    )
    assert state["phase"] == "Failed"
    assert state["message"] == "Operation terminated"
    hook = next(r for r in state["syncResult"]["resources"] if r["name"] == "migrate")
    assert (hook["hookPhase"], hook["message"]) == ("Failed", "Terminated")
    assert cluster.objects == {}  # hook deleted, nothing else applied, no SyncFail hook
    assert port.app["status"]["operationState"]["phase"] == "Failed"
    assert "operation" not in port.app


def test_an_operation_already_terminating_on_resume_is_ended() -> None:
    clock = FakeClock()
    port = FakeApp(application())
    port.app["status"] = {
        "operationState": {
            "phase": "Terminating",
            "startedAt": "2024-05-01T11:00:00Z",
            "operation": port.app["operation"],
            "syncResult": {"revision": REVISION, "resources": []},
        }
    }
    cluster = FakeCluster(clock)
    state = OperationRunner(cluster, port, config(clock)).run(port.app, [cm("c")], [], REVISION, None)
    assert (state["phase"], state["message"]) == ("Failed", "Operation terminated")
    assert cluster.log == []


def retrying_app(limit: int) -> dict[str, Any]:
    op = {
        "sync": {"revision": REVISION},
        "retry": {"limit": limit, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "1m"}},
    }
    return application(operation=op)


def test_failed_sync_is_retried_with_backoff_then_gives_up() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock, reject_real={"web": "denied"})
    port = FakeApp(retrying_app(2))
    state = OperationRunner(cluster, port, config(clock, wave_delay=0)).run(
        port.app, [deployment("web")], [], REVISION, None
    )
    assert state["phase"] == "Failed"
    assert state["retryCount"] == 2
    assert [k[3] for _, k in cluster.writes()].count("web") == 3
    assert sum(clock.sleeps) == pytest.approx(10 + 20)
    assert not state["message"].startswith("Retrying")
    assert port.reasons().count("OperationCompleted") == 1


def test_retry_that_succeeds_records_the_count_and_history() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock, reject_real={"web": "denied"})
    messages: list[str] = []

    def fix_it(port: FakeApp) -> None:  # the user fixes the cause while the retry waits
        message = port.app.get("status", {}).get("operationState", {}).get("message", "")
        messages.append(message)
        if message.startswith("Retrying"):
            cluster.reject_real.clear()

    port = FakeApp(retrying_app(5), on_phase_read=fix_it)
    state = OperationRunner(cluster, port, config(clock, wave_delay=0)).run(
        port.app, [deployment("web")], [], REVISION, None
    )
    assert state["phase"] == "Succeeded"
    assert state["retryCount"] == 1
    assert any(m.startswith("Retrying attempt #1 at 12:00:10. one or more objects failed") for m in messages)
    assert len(port.app["status"]["history"]) == 1


def test_no_retry_limit_means_no_retry() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock, reject_real={"web": "denied"})
    port = FakeApp(application())
    state = OperationRunner(cluster, port, config(clock)).run(
        port.app, [deployment("web")], [], REVISION, None
    )
    assert (state["phase"], state["retryCount"]) == ("Failed", 0)


def test_prune_waiting_for_confirmation_resumes_once_approved() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock)
    old = cm("old", **{"argocd.argoproj.io/sync-options": "Prune=confirm"})
    cluster.apply(old, mode=None, dry_run=False, force=False, validate=True)  # type: ignore[arg-type]
    port = FakeApp(application(operation={"sync": {"revision": REVISION, "prune": True}}))
    runner = OperationRunner(cluster, port, config(clock))

    state = runner.run(port.app, [cm("c")], [old], REVISION, None)
    assert state["phase"] == "Running"
    assert state["message"] == "Waiting for pruning confirmation of v1/ConfigMap/old"
    assert "old" in {k[3] for k in cluster.objects}

    clock.sleep(5)
    port.app["metadata"]["annotations"] = {"argocd.argoproj.io/deletion-approved": "2024-05-01T12:00:05Z"}
    state = runner.run(port.app, [cm("c")], [old], REVISION, None)
    assert state["phase"] == "Succeeded"
    assert "old" not in {k[3] for k in cluster.objects}
