"""History, rollback lookup, dry-run and partial operations, deletion, and the wave delay setting."""

from __future__ import annotations

from typing import Any

import pytest
from operation_fakes import REVISION, FakeApp, FakeClock, FakeCluster, application, cm, config, job, key_of

from argosy.controller.operation import (
    OperationRunner,
    append_history,
    delete_app_resources,
    history_entry,
    wave_delay_from_env,
)
from argosy.engine.sync import PropagationPolicy
from argosy.model.constants import RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND


def entries(*ids: int) -> list[dict[str, Any]]:
    return [{"id": i, "revision": f"r{i}", "deployedAt": "2024-01-01T00:00:00Z"} for i in ids]


def sync(app: dict[str, Any], objs: list[dict[str, Any]]) -> tuple[dict[str, Any], FakeApp, FakeCluster]:
    clock = FakeClock()
    cluster = FakeCluster(clock)
    port = FakeApp(app)
    state = OperationRunner(cluster, port, config(clock)).run(port.app, objs, [], REVISION, {"path": "p"})
    return state, port, cluster


def test_history_is_capped_by_revision_history_limit_and_ids_keep_growing() -> None:
    app = application(spec={"revisionHistoryLimit": 3})
    app["status"] = {"history": entries(5, 6, 7)}
    state, port, _ = sync(app, [cm("c")])
    history = port.app["status"]["history"]
    assert [h["id"] for h in history] == [6, 7, 8]
    assert history[-1]["revision"] == REVISION and history[-1]["source"] == {"path": "p"}
    assert history[-1]["deployStartedAt"] == state["startedAt"]
    assert history[-1]["deployedAt"] == state["finishedAt"]


def test_default_history_limit_is_ten() -> None:
    history = append_history(
        entries(*range(10)),
        revision="x",
        source=None,
        deployed_at="t",
        deploy_started_at="t",
        initiated_by=None,
    )
    assert [h["id"] for h in history] == list(range(1, 11))


def test_failed_partial_and_dry_run_syncs_add_no_history() -> None:
    partial = application(
        operation={"sync": {"revision": REVISION, "resources": [{"kind": "ConfigMap", "name": "c"}]}}
    )
    state, port, _ = sync(partial, [cm("c"), cm("d")])
    assert state["phase"] == "Succeeded" and "history" not in port.app["status"]
    assert port.events[-1][1].startswith("Partial sync operation to")

    dry = application(operation={"sync": {"revision": REVISION, "dryRun": True}})
    state, port, cluster = sync(dry, [cm("c"), job("migrate", "PreSync")])
    assert state["phase"] == "Succeeded" and "history" not in port.app["status"]
    assert cluster.objects == {} and cluster.writes(dry_run=False) == []
    assert all(r["message"].endswith("(dry run)") for r in state["syncResult"]["resources"])


def test_history_entry_finds_a_rollback_target_or_names_the_ids() -> None:
    app = application()
    app["status"] = {"history": entries(3, 4)}
    assert history_entry(app, 4)["revision"] == "r4"
    with pytest.raises(KeyError, match=r"no history entry with id 9 \(ids: 3, 4\)"):
        history_entry(app, 9)


def test_wave_delay_defaults_to_two_seconds_and_honours_the_argo_cd_variable() -> None:
    assert wave_delay_from_env({}) == 2.0
    assert wave_delay_from_env({"ARGOCD_SYNC_WAVE_DELAY": "5"}) == 5.0
    assert wave_delay_from_env({"ARGOCD_SYNC_WAVE_DELAY": "0"}) == 0.0
    with pytest.raises(ValueError, match="ARGOCD_SYNC_WAVE_DELAY='soon'"):
        wave_delay_from_env({"ARGOCD_SYNC_WAVE_DELAY": "soon"})


def deleting(*finalizers: str, deleted: bool = True) -> dict[str, Any]:
    app = application()
    app["metadata"]["finalizers"] = list(finalizers)
    if deleted:
        app["metadata"]["deletionTimestamp"] = "2024-05-01T12:00:00Z"
    return app


def populated(clock: FakeClock, *objs: dict[str, Any]) -> FakeCluster:
    cluster = FakeCluster(clock)
    for obj in objs:
        cluster.apply(obj, mode=None, dry_run=False, force=False, validate=True)  # type: ignore[arg-type]
    cluster.log.clear()
    return cluster


def test_without_the_resources_finalizer_nothing_is_deleted() -> None:
    clock = FakeClock()
    cluster = populated(clock, cm("a"))
    result = delete_app_resources(deleting(), [cm("a")], cluster, FakeApp(deleting()), config=config(clock))
    assert result.deleted == [] and cluster.log == []
    assert "kept" in result.message


@pytest.mark.parametrize(
    ("finalizer", "propagation"),
    [
        (RESOURCES_FINALIZER, PropagationPolicy.FOREGROUND),
        (RESOURCES_FINALIZER_BACKGROUND, PropagationPolicy.BACKGROUND),
    ],
)
def test_resources_finalizer_deletes_all_but_delete_false(
    finalizer: str, propagation: PropagationPolicy
) -> None:
    clock = FakeClock()
    kept = cm("kept", **{"argocd.argoproj.io/sync-options": "Delete=false"})
    cluster = populated(clock, cm("a"), cm("b"), kept)
    app = deleting(finalizer)
    result = delete_app_resources(app, [cm("a"), cm("b"), kept], cluster, FakeApp(app), config=config(clock))
    assert result.succeeded
    assert {k[3] for k in cluster.objects} == {"kept"}
    assert {v for v, _, _ in cluster.log} == {f"delete:{propagation}"}
    assert result.kept == ["ConfigMap shop/kept (Delete=false)"]


def test_post_delete_hooks_run_after_the_resources_are_gone() -> None:
    clock = FakeClock()
    cluster = populated(clock, cm("a"))
    app = deleting(RESOURCES_FINALIZER)
    hook = job("goodbye", "PostDelete", policy="HookSucceeded")
    result = delete_app_resources(
        app,
        [cm("a")],
        cluster,
        FakeApp(app),
        post_delete_hooks=[hook, cm("not-a-hook")],
        config=config(clock),
    )
    assert result.succeeded, result.message
    verbs = [(v, k[3]) for v, k, _ in cluster.log]
    assert verbs == [("delete:foreground", "a"), ("apply", "goodbye"), ("delete:foreground", "goodbye")]
    assert result.hooks == {"Job.batch shop/goodbye": "Succeeded"}


def test_a_failing_post_delete_hook_keeps_the_finalizer() -> None:
    clock = FakeClock()
    cluster = populated(clock)
    app = deleting(RESOURCES_FINALIZER)
    hook = job("goodbye", "PostDelete", outcome="Failed")
    result = delete_app_resources(
        app, [], cluster, FakeApp(app), post_delete_hooks=[hook], config=config(clock)
    )
    assert not result.succeeded
    assert "goodbye" in result.message
    assert key_of(hook) in cluster.objects
