"""Every delete path keeps objects another application (or nobody) tracks.

Two apps render overlapping manifests; "shop" runs the operation. Objects
tracked by "other" or untracked sit at the same keys and must come out of
prune, cascade deletion, hook clean-up, Replace/Force and terminate with the
same UID, and the skip must be reported (``DeletionSkipped`` Event, result).
"""

from __future__ import annotations

from typing import Any

from operation_fakes import (
    REVISION,
    FakeApp,
    FakeClock,
    FakeCluster,
    application,
    cm,
    config,
    job,
    key_of,
)

from argosy.controller.operation import OperationRunner, delete_app_resources
from argosy.model.constants import RESOURCES_FINALIZER

SYNC_OPTIONS = "argocd.argoproj.io/sync-options"


def put(cluster: FakeCluster, *objs: dict[str, Any]) -> dict[str, str]:
    """Store objects as another actor would; returns name -> uid."""
    for obj in objs:
        cluster.apply(obj, mode=None, dry_run=False, force=False, validate=True)  # type: ignore[arg-type]
    cluster.log.clear()
    return {k[3]: o["metadata"]["uid"] for k, o in cluster.objects.items()}


def uids(cluster: FakeCluster) -> dict[str, str]:
    return {k[3]: o["metadata"]["uid"] for k, o in cluster.objects.items()}


def sync(
    cluster: FakeCluster, desired: list[dict[str, Any]], prunable: list[dict[str, Any]], **op: Any
) -> tuple[dict[str, Any], FakeApp]:
    app = application(operation={"sync": {"revision": REVISION, **op}})
    port = FakeApp(app)
    state = OperationRunner(cluster, port, config(cluster.clock)).run(
        port.app, desired, prunable, REVISION, None
    )
    return state, port


def results(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in state["syncResult"]["resources"]}


def skipped(port: FakeApp) -> list[str]:
    return [m for r, m, t in port.events if r == "DeletionSkipped" and t == "Warning"]


def test_prune_keeps_an_object_that_changed_hands_since_the_comparison() -> None:
    cluster = FakeCluster(FakeClock())
    # The comparison saw "old" tracked by shop; by the time the prune runs, "other" adopted it.
    before = put(cluster, cm("old", owner="other"))
    state, port = sync(cluster, [cm("c")], [cm("old")], prune=True)
    assert state["phase"] == "Succeeded"
    entry = results(state)["old"]
    assert entry["status"] == "PruneSkipped"
    assert entry["message"] == "not pruned: it belongs to application 'other'"
    assert uids(cluster)["old"] == before["old"]
    assert skipped(port) and "ConfigMap shop/old" in skipped(port)[0]


def test_prune_deletes_what_the_app_tracks_and_says_so() -> None:
    cluster = FakeCluster(FakeClock())
    put(cluster, cm("old"))
    state, port = sync(cluster, [cm("c")], [cm("old")], prune=True)
    assert results(state)["old"]["status"] == "Pruned"
    assert key_of(cm("old")) not in cluster.objects
    assert ("ResourceDeleted", "Deleted ConfigMap shop/old (prune)", "Normal") in port.events


def test_before_hook_creation_never_deletes_another_app_s_object_of_the_same_name() -> None:
    cluster = FakeCluster(FakeClock())
    before = put(cluster, job("migrate", "PreSync", owner="other"), job("untracked", "PreSync", owner=None))
    hooks = [job("migrate", "PreSync"), job("untracked", "PreSync")]
    state, port = sync(cluster, [*hooks, cm("c")], [])
    assert state["phase"] == "Failed"
    for name, reason in (("migrate", "it belongs to application 'other'"), ("untracked", "no application")):
        entry = results(state)[name]
        assert entry["status"] == "SyncFailed" and reason in entry["message"], entry
        assert uids(cluster)[name] == before[name]
    assert len(skipped(port)) == 2


def test_hook_succeeded_clean_up_keeps_an_object_adopted_meanwhile() -> None:
    clock = FakeClock()

    class Adopting(FakeCluster):
        """Another app takes the hook's object over right after it completed."""

        def get(self, obj: Any) -> dict[str, Any] | None:
            live = super().get(obj)
            if live is not None and live["kind"] == "Job" and "status" in live:
                self.objects[key_of(live)]["metadata"]["labels"] = {"app.kubernetes.io/instance": "other"}
                live["metadata"]["labels"] = {"app.kubernetes.io/instance": "other"}
            return live

    cluster = Adopting(clock)
    state, port = sync(cluster, [job("migrate", "PreSync", policy="HookSucceeded"), cm("c")], [])
    assert state["phase"] == "Succeeded"
    assert key_of(job("migrate", "PreSync")) in cluster.objects
    assert skipped(port)


def test_replace_and_force_refuse_another_app_s_object_and_force_refuses_an_untracked_one() -> None:
    cluster = FakeCluster(FakeClock())
    before = put(cluster, cm("theirs", owner="other"), cm("nobody", owner=None))
    desired = [
        cm("theirs", **{SYNC_OPTIONS: "Replace=true"}),
        cm("nobody", **{SYNC_OPTIONS: "Replace=true,Force=true"}),
        cm("c"),
    ]
    state, _ = sync(cluster, desired, [])
    # Refused in the dry run already: nothing at all is written.
    assert state["phase"] == "Failed" and state["message"] == "one or more objects failed to apply (dry run)"
    r = results(state)
    assert "Replace=true would overwrite ConfigMap shop/theirs" in r["theirs"]["message"]
    assert "belongs to application 'other'" in r["theirs"]["message"]
    assert (
        "Replace=true,Force=true would delete and re-create ConfigMap shop/nobody" in r["nobody"]["message"]
    )
    assert cluster.writes() == []
    assert uids(cluster) == before
    assert cluster.objects[key_of(cm("theirs"))]["metadata"]["labels"] == {
        "app.kubernetes.io/instance": "other"
    }


def test_force_apply_refuses_another_app_s_object() -> None:
    cluster = FakeCluster(FakeClock())
    put(cluster, cm("theirs", owner="other"))
    state, _ = sync(cluster, [cm("theirs", **{SYNC_OPTIONS: "Force=true"})], [])
    assert (
        "Force=true would delete and re-create ConfigMap shop/theirs" in results(state)["theirs"]["message"]
    )
    assert cluster.writes() == []


def test_replace_adopts_an_untracked_object_in_place() -> None:
    cluster = FakeCluster(FakeClock())
    before = put(cluster, cm("loose", owner=None))
    state, _ = sync(cluster, [cm("loose", **{SYNC_OPTIONS: "Replace=true"})], [])
    assert state["phase"] == "Succeeded", state["message"]
    assert uids(cluster) == before  # a PUT, not delete + create
    assert cluster.objects[key_of(cm("loose"))]["metadata"]["labels"] == {
        "app.kubernetes.io/instance": "shop"
    }


def test_cascade_deletion_deletes_only_tracked_objects_and_reports_the_rest() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock)
    before = put(cluster, cm("mine"), cm("theirs", owner="other"), cm("nobody", owner=None))
    app = application()
    app["metadata"].update(finalizers=[RESOURCES_FINALIZER], deletionTimestamp="2024-05-01T12:00:00Z")
    port = FakeApp(app)
    candidates = [cm("mine"), cm("theirs"), cm("nobody")]  # e.g. a stale list from the comparison
    result = delete_app_resources(app, candidates, cluster, port, config=config(clock))
    assert result.succeeded
    assert result.deleted == ["ConfigMap shop/mine"]
    assert result.kept == [
        "ConfigMap shop/theirs (it belongs to application 'other')",
        "ConfigMap shop/nobody (no application tracks it)",
    ]
    assert uids(cluster) == {k: v for k, v in before.items() if k != "mine"}
    assert len(skipped(port)) == 2
    assert result.message == "deleted 1 resource(s), kept 2"


def test_terminate_deletes_only_the_running_hook_the_app_owns() -> None:
    clock = FakeClock()
    cluster = FakeCluster(clock, job_polls=10**6)  # the hook never completes

    terminated = {"done": False}

    def terminate(port: FakeApp) -> None:
        if not terminated["done"] and key_of(job("migrate", "PreSync")) in cluster.objects:
            terminated["done"] = True
            # Meanwhile another app adopted the Job: terminate must not delete it.
            cluster.objects[key_of(job("migrate", "PreSync"))]["metadata"]["labels"] = {
                "app.kubernetes.io/instance": "other"
            }
            port.app["status"]["operationState"]["phase"] = "Terminating"

    port = FakeApp(application(), on_phase_read=terminate)
    state = OperationRunner(cluster, port, config(clock)).run(
        port.app, [job("migrate", "PreSync"), cm("c")], [], REVISION, None
    )
    assert state["phase"] == "Failed" and state["message"] == "Operation terminated"
    assert key_of(job("migrate", "PreSync")) in cluster.objects
    assert skipped(port)
