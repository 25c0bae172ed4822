"""The runner's order of work and its bookkeeping, against in-memory ports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from operation_fakes import (
    REVISION,
    FakeApp,
    FakeClock,
    FakeCluster,
    application,
    cm,
    config,
    deployment,
    job,
    key_of,
)

from argosy.controller.operation import OperationRunner
from argosy.controller.operation.state import parse_timestamp

SOURCE = {"repoURL": "https://git.example/shop.git", "path": "deploy"}


def run(
    desired: list[dict[str, Any]],
    *,
    app: dict[str, Any] | None = None,
    cluster: FakeCluster | None = None,
    prunable: list[dict[str, Any]] | None = None,
    **kw: Any,
) -> tuple[dict[str, Any], FakeApp, FakeCluster, FakeClock]:
    clock = cluster.clock if cluster else FakeClock()
    cluster = cluster or FakeCluster(clock, job_polls=kw.pop("job_polls", 1))
    port = FakeApp(app or application())
    state = OperationRunner(cluster, port, config(clock, **kw)).run(
        port.app, desired, prunable or [], REVISION, SOURCE
    )
    return state, port, cluster, clock


def results(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{r['syncPhase']}/{r['kind']}/{r['name']}": r for r in state["syncResult"]["resources"]}


def at(entry: dict[str, Any], field: str) -> float:
    return parse_timestamp(entry[field]).timestamp()


def test_presync_wave_minus_one_wave_zero_postsync_run_in_order() -> None:
    desired = [
        job("post", "PostSync"),
        deployment("web"),
        cm("settings", wave=-1),
        job("migrate", "PreSync"),
    ]
    state, port, cluster, clock = run(desired, job_polls=2)

    assert state["phase"] == "Succeeded", state["message"]
    assert state["message"] == "successfully synced (all tasks run)"
    r = results(state)
    pre, conf, web, post = (
        r["PreSync/Job/migrate"],
        r["Sync/ConfigMap/settings"],
        r["Sync/Deployment/web"],
        r["PostSync/Job/post"],
    )
    assert at(pre, "finishedAt") <= at(conf, "startedAt")
    assert at(conf, "finishedAt") <= at(web, "startedAt")
    assert at(web, "finishedAt") <= at(post, "startedAt")
    assert pre["hookPhase"] == post["hookPhase"] == "Succeeded"
    assert pre["hookType"] == "PreSync" and "hookType" not in conf
    assert [k[3] for _, k in cluster.writes()] == ["migrate", "settings", "web", "post"]
    # dry run of everything first, before the first real write
    first_real = next(i for i, (_, _, dr) in enumerate(cluster.log) if not dr)
    assert {k[3] for _, k, dr in cluster.log[:first_real]} == {"migrate", "settings", "web", "post"}
    # the wave delay separates steps (3 waits between 4 steps), polls use the poll interval
    assert clock.sleeps.count(2.0) == 3
    assert state["syncResult"]["revision"] == REVISION and state["syncResult"]["source"] == SOURCE
    assert state["finishedAt"] and state["startedAt"]
    assert "operation" not in port.app
    history = port.app["status"]["history"]
    assert [h["id"] for h in history] == [0]
    assert history[0]["revision"] == REVISION and history[0]["initiatedBy"] == {"username": "alice"}
    assert port.reasons()[0] == "OperationStarted" and port.reasons()[-1] == "OperationCompleted"
    assert port.events[-1][2] == "Normal"


def test_progress_is_written_after_each_wave() -> None:
    seen: list[list[str]] = []

    def record(port: FakeApp) -> None:
        state = (port.app.get("status") or {}).get("operationState") or {}
        seen.append([r["name"] for r in state.get("syncResult", {}).get("resources", []) if r["status"]])

    port = FakeApp(application(), on_patch=record)
    clock = FakeClock()
    OperationRunner(FakeCluster(clock), port, config(clock)).run(
        port.app, [cm("a", wave=0), cm("b", wave=1)], [], REVISION, None
    )
    assert ["a"] in seen  # written while b was not yet applied


def test_single_wave_without_hooks_succeeds_without_waiting_for_health() -> None:
    state, _, _, clock = run([deployment("web"), cm("c")])
    assert state["phase"] == "Succeeded"
    assert {r["hookPhase"] for r in state["syncResult"]["resources"]} == {"Running"}  # as Argo CD reports
    assert clock.sleeps == []


def test_a_one_step_sync_writes_its_state_when_it_starts_and_when_it_ends() -> None:
    # Its plain applies are re-applied if the controller dies in between (test_operation_resume),
    # so no write-ahead record: two status patches per sync instead of four across a fleet.
    state, port, _, _ = run([deployment("web"), cm("c")])
    assert state["phase"] == "Succeeded" and port.patches == 2
    assert {r["name"] for r in state["syncResult"]["resources"]} == {"web", "c"}


def test_a_sync_that_creates_its_namespace_writes_its_state_only_at_start_and_end() -> None:
    # The namespace is its own step, waited for until it is ready; that wait's end is not
    # written (the final state carries it): each Application write costs the API server ~12 ms.
    app = application(spec={"syncPolicy": {"syncOptions": ["CreateNamespace=true"]}})
    state, port, cluster, _ = run([deployment("web"), cm("c")], app=app)
    assert state["phase"] == "Succeeded" and port.patches == 2
    assert any(k[1] == "Namespace" for k in cluster.objects), "the namespace was created"
    names = {r["name"] for r in state["syncResult"]["resources"]}
    assert names == {"shop", "web", "c"}


def test_a_big_step_and_a_step_with_hooks_still_show_their_progress() -> None:
    seen: list[str] = []

    def record(port: FakeApp) -> None:
        seen.append(((port.app.get("status") or {}).get("operationState") or {}).get("message", ""))

    for desired in ([cm(f"c{i}") for i in range(60)], [job("seed", "Sync"), cm("c")]):
        seen.clear()
        port, clock = FakeApp(application(), on_patch=record), FakeClock()
        OperationRunner(FakeCluster(clock), port, config(clock)).run(port.app, desired, [], REVISION, None)
        assert port.patches >= 3 and "one or more tasks are running" in seen, desired[0]["metadata"]["name"]


def test_malformed_manifest_fails_the_dry_run_and_writes_nothing() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock, reject={"bad": 'spec.replicas: Invalid value: "two"'})
    state, port, cluster, _ = run([cm("good"), deployment("bad"), job("migrate", "PreSync")], cluster=cluster)

    assert state["phase"] == "Failed"
    assert state["message"] == "one or more objects failed to apply (dry run)"
    assert cluster.writes(dry_run=False) == []
    assert cluster.objects == {}
    failed = [r for r in state["syncResult"]["resources"] if r["status"] == "SyncFailed"]
    assert [r["name"] for r in failed] == ["bad"] and "Invalid value" in failed[0]["message"]
    assert port.events[-1][0] == "OperationCompleted" and port.events[-1][2] == "Warning"
    assert "history" not in port.app["status"]


class LearningCluster(FakeCluster):
    """Serves a custom kind once its CRD is written, as the API server does."""

    def _write(self, verb: str, obj: Mapping[str, Any], dry_run: bool) -> str:
        message = super()._write(verb, obj, dry_run)
        if not dry_run and obj.get("kind") == "CustomResourceDefinition":
            self.unknown_kinds.discard(obj["spec"]["names"]["kind"])
        return message


CRD = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}},
}
WIDGET = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "shop"}}


def test_custom_resource_of_a_crd_in_the_same_sync_skips_the_dry_run() -> None:
    clock = FakeClock()
    cluster = LearningCluster(clock, unknown_kinds={"Widget"})
    state, _, cluster, _ = run([WIDGET, CRD], cluster=cluster)
    assert state["phase"] == "Succeeded", state["message"]
    assert [k[3] for _, k in cluster.writes()] == ["widgets.example.com", "w"]


def test_custom_resource_without_its_crd_fails_the_dry_run() -> None:
    clock = FakeClock()
    state, _, cluster, _ = run([WIDGET, cm("c")], cluster=FakeCluster(clock, unknown_kinds={"Widget"}))
    assert state["phase"] == "Failed" and state["message"] == "one or more objects failed to apply (dry run)"
    assert cluster.writes() == []


def test_skip_dry_run_on_missing_resource_lets_the_sync_proceed() -> None:
    widget = {
        **WIDGET,
        "metadata": {
            **WIDGET["metadata"],
            "annotations": {"argocd.argoproj.io/sync-options": "SkipDryRunOnMissingResource=true"},
        },
    }
    clock = FakeClock()
    state, _, cluster, _ = run([widget, cm("c")], cluster=FakeCluster(clock, unknown_kinds={"Widget"}))
    assert [k[3] for _, k in cluster.writes()] == ["c", "w"]  # the real write is tried, and fails
    assert state["message"].startswith("one or more objects failed to apply, reason:")


def test_failing_presync_hook_fails_runs_syncfail_and_applies_nothing_else() -> None:
    desired = [
        job("migrate", "PreSync", outcome="Failed"),
        cm("settings"),
        deployment("web"),
        job("cleanup", "SyncFail"),
        job("post", "PostSync"),
    ]
    state, _, cluster, _ = run(desired)

    assert state["phase"] == "Failed"
    assert state["message"].startswith("one or more synchronization tasks completed unsuccessfully, reason: ")
    assert "job Failed" in state["message"]
    written = [k[3] for _, k in cluster.writes()]
    assert written == ["migrate", "cleanup"]
    r = results(state)
    assert r["PreSync/Job/migrate"]["hookPhase"] == "Failed"
    assert r["SyncFail/Job/cleanup"]["hookPhase"] == "Succeeded"
    assert at(r["PreSync/Job/migrate"], "finishedAt") <= at(r["SyncFail/Job/cleanup"], "startedAt")


def test_apply_rejected_by_the_server_fails_the_sync_with_its_message() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock, reject_real={"web": "admission webhook denied the request"})
    state, port, _, _ = run(
        [cm("settings", wave=0), deployment("web", wave=1), cm("late", wave=2)], cluster=cluster
    )
    assert state["phase"] == "Failed"
    assert state["message"] == (
        "one or more objects failed to apply, reason: "
        "Deployment 'web' is invalid: admission webhook denied the request"
    )
    assert "late" not in {k[3] for _, k in cluster.writes()}
    assert "SyncFailed" in port.reasons()


def test_hook_succeeded_hooks_are_deleted_after_success_and_others_kept() -> None:
    desired = [job("migrate", "PreSync", policy="HookSucceeded"), job("keep", "PostSync"), cm("c")]
    state, _, cluster, _ = run(desired)
    assert state["phase"] == "Succeeded"
    names = {k[3] for k in cluster.objects}
    assert names == {"keep", "c"}
    assert ("delete:foreground", key_of(desired[0])) in [(v, k) for v, k, _ in cluster.log]


def test_hook_failed_hooks_are_deleted_when_the_sync_fails() -> None:
    desired = [job("migrate", "PreSync", policy="HookFailed", outcome="Failed"), cm("c")]
    state, _, cluster, _ = run(desired)
    assert state["phase"] == "Failed"
    assert cluster.objects == {}


def test_before_hook_creation_replaces_the_old_hook() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock)
    old = job("migrate", "PreSync")
    cluster.apply(old, mode=None, dry_run=False, force=False, validate=True)  # type: ignore[arg-type]
    old_uid = cluster.objects[key_of(old)]["metadata"]["uid"]
    clock.sleep(60)

    state, _, cluster, _ = run([job("migrate", "PreSync"), cm("c")], cluster=cluster)
    assert state["phase"] == "Succeeded"
    verbs = [(v, k[3]) for v, k, dr in cluster.log if not dr]
    assert verbs.index(("delete:foreground", "migrate")) < verbs.index(("apply", "migrate"), 1)
    assert cluster.objects[key_of(old)]["metadata"]["uid"] != old_uid


def test_generate_name_hooks_get_the_operation_s_deterministic_name() -> None:
    state, _, cluster, _ = run([job("migrate-", "PreSync", generate=True), cm("c")])
    names = [k[3] for k in cluster.objects if k[1] == "Job"]
    started = int(parse_timestamp(state["startedAt"]).timestamp())
    assert names == [f"migrate-{REVISION[:7]}-presync-{started}"]


def test_prune_deletes_only_when_asked_and_reports_otherwise() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock)
    gone = cm("old")
    cluster.apply(gone, mode=None, dry_run=False, force=False, validate=True)  # type: ignore[arg-type]
    state, _, cluster, _ = run([cm("c")], cluster=cluster, prunable=[gone])
    assert results(state)["Sync/ConfigMap/old"]["status"] == "PruneSkipped"
    assert key_of(gone) in cluster.objects

    pruning = application(operation={"sync": {"revision": REVISION, "prune": True}})
    state, _, cluster, _ = run([cm("c")], cluster=cluster, prunable=[gone], app=pruning)
    assert results(state)["Sync/ConfigMap/old"]["status"] == "Pruned"
    assert key_of(gone) not in cluster.objects


def test_create_namespace_happens_before_the_dry_run() -> None:
    app = application(spec={"syncPolicy": {"syncOptions": ["CreateNamespace=true"]}})
    state, _, cluster, _ = run([cm("c")], app=app)
    assert state["phase"] == "Succeeded"
    assert cluster.log[0] == ("apply", ("", "Namespace", "", "shop"), False)
    assert results(state)["PreSync/Namespace/shop"]["status"] == "Synced"


def test_blocked_plan_fails_without_touching_anything() -> None:
    bad = cm("c")
    bad["metadata"]["annotations"] = {"argocd.argoproj.io/sync-wave": "first"}
    state, _, cluster, _ = run([bad])
    assert state["phase"] == "Failed"
    assert "sync-wave" in state["message"] and "not a whole number" in state["message"]
    assert cluster.log == []


def test_crd_over_the_annotation_limit_is_server_side_applied_and_the_result_says_why() -> None:
    big = {**CRD, "spec": {**CRD["spec"], "description": "x" * 300_000}}
    applied: list[str] = []

    class Modes(FakeCluster):
        def apply(
            self,
            obj: Mapping[str, Any],
            *,
            mode: Any,
            dry_run: bool,
            force: bool,
            validate: bool,
            live: Mapping[str, Any] | None = None,
        ) -> str:
            if not dry_run:
                applied.append(str(mode))
            return super().apply(obj, mode=mode, dry_run=dry_run, force=force, validate=validate)

    state, _, _, _ = run([big, cm("small")], cluster=Modes(FakeClock()))
    assert state["phase"] == "Succeeded"
    assert applied == ["client-side", "server-side"]  # kind order: ConfigMap before CRD
    message = results(state)["Sync/CustomResourceDefinition/widgets.example.com"]["message"]
    assert "server-side apply chosen automatically" in message and "262144" in message
