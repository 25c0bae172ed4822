"""RollingSync: steps in order, each only after the earlier steps are Healthy, ``maxUpdate`` at a time."""

from __future__ import annotations

from typing import Any

from argosy.appset.progressive import max_update, plan_rollout, without_automated_sync

APPSET: dict[str, Any] = {
    "spec": {
        "strategy": {
            "type": "RollingSync",
            "rollingSync": {
                "steps": [
                    {"matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]},
                    {
                        "matchExpressions": [{"key": "env", "operator": "In", "values": ["qa"]}],
                        "maxUpdate": 1,
                    },
                    {
                        "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}],
                        "maxUpdate": "50%",
                    },
                ]
            },
        }
    }
}


def _app(name: str, env: str, sync: str = "OutOfSync", health: str = "Missing", running: bool = False) -> Any:
    app: dict[str, Any] = {
        "metadata": {"name": name, "labels": {"env": env}},
        "status": {"sync": {"status": sync}, "health": {"status": health}},
    }
    if running:
        app["operation"] = {"sync": {}}
    return app


def _by_name(rollout: Any) -> dict[str, tuple[str, str]]:
    return {s["application"]: (s["status"], s["step"]) for s in rollout.statuses}


def test_only_the_first_step_starts_while_nothing_is_healthy() -> None:
    apps = [_app("dev-1", "dev"), _app("dev-2", "dev"), _app("qa-1", "qa"), _app("prod-1", "prod")]
    rollout = plan_rollout(APPSET, apps, [], "t0")
    assert rollout.to_sync == ["dev-1", "dev-2"]
    assert _by_name(rollout)["qa-1"] == ("Waiting", "2")
    assert rollout.progressing


def test_the_next_step_starts_when_the_earlier_ones_are_healthy_and_respects_max_update() -> None:
    apps = [
        _app("dev-1", "dev", "Synced", "Healthy"),
        _app("qa-1", "qa"),
        _app("qa-2", "qa"),
        _app("prod-1", "prod"),
        _app("prod-2", "prod"),
    ]
    rollout = plan_rollout(APPSET, apps, [], "t1")
    assert rollout.to_sync == ["qa-1"]  # maxUpdate 1
    in_flight = [
        _app("dev-1", "dev", "Synced", "Healthy"),
        _app("qa-1", "qa", running=True),
        _app("qa-2", "qa"),
    ]
    assert plan_rollout(APPSET, in_flight, [], "t2").to_sync == []  # qa-1 still syncing


def test_percent_max_update_and_completion() -> None:
    assert max_update({"maxUpdate": "50%"}, 4) == 2 and max_update({"maxUpdate": "10%"}, 3) == 1
    healthy = [
        _app(n, e, "Synced", "Healthy") for n, e in (("dev-1", "dev"), ("qa-1", "qa"), ("prod-1", "prod"))
    ]
    rollout = plan_rollout(APPSET, healthy, [], "t3")
    assert rollout.to_sync == [] and not rollout.progressing
    assert {s["status"] for s in rollout.statuses} == {"Healthy"}


def test_generated_apps_lose_automated_sync_under_rolling_sync() -> None:
    app = {"spec": {"syncPolicy": {"automated": {"prune": True}}}}
    assert without_automated_sync(app) == {"spec": {}}


def _compared(app: Any, spec: Any, compared: Any) -> Any:
    """``app`` with ``spec`` whose status was computed for ``compared`` (a spec, maybe older)."""
    app["spec"] = spec
    app["status"]["sync"]["comparedTo"] = {
        "destination": compared["destination"],
        "source": compared["source"],
    }
    return app


OLD = {"source": {"repoURL": "https://git.example/r.git", "path": "v1"}, "destination": {"namespace": "a"}}
NEW = {"source": {"repoURL": "https://git.example/r.git", "path": "v2"}, "destination": {"namespace": "a"}}


def test_after_a_template_change_a_later_step_waits_for_apps_still_showing_their_old_status() -> None:
    # The template moved to v2: qa-1 was already compared (OutOfSync), dev-1 still shows the
    # Synced/Healthy of v1 and dev-2's new spec is being written by this very pass.
    apps = [
        _compared(_app("dev-1", "dev", "Synced", "Healthy"), NEW, OLD),
        _compared(_app("dev-2", "dev", "Synced", "Healthy"), OLD, OLD),
        _compared(_app("qa-1", "qa"), NEW, NEW),
    ]
    rollout = plan_rollout(APPSET, apps, [], "t4", changed={"dev-2"})
    assert rollout.to_sync == []  # dev-1/dev-2 sync only once compared; qa-1 not before them
    assert _by_name(rollout) == {
        "dev-1": ("Waiting", "1"),
        "dev-2": ("Waiting", "1"),
        "qa-1": ("Waiting", "2"),
    }
    assert "pending changes" in rollout.statuses[0]["message"] and rollout.progressing

    compared = [
        _compared(_app("dev-1", "dev"), NEW, NEW),
        _compared(_app("dev-2", "dev", "Synced", "Healthy"), NEW, NEW),  # v2 changed nothing for it
        _compared(_app("qa-1", "qa"), NEW, NEW),
    ]
    assert plan_rollout(APPSET, compared, [], "t5").to_sync == ["dev-1"]
