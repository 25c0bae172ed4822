"""An automated sync is recorded Running in the very write that requests it.

The reconciler that decides an auto-sync writes the ``operation`` and a ``Running``
``operationState`` at the rendered revision together; the operation worker then resumes
that record instead of writing ``Running`` itself: 5 Application writes per synced app
instead of 6 (each a validation of the whole object against its schema on the API
server). Until its first task such a sync is still new: the checks a new sync gets
(sync windows, ``FailOnSharedResource``) still apply, and the log says "started".
"""

from __future__ import annotations

from operation_fakes import REVISION, FakeApp, FakeClock, FakeCluster, application, cm, config

from argosy.controller.operation import OperationRunner
from argosy.controller.operation.state import OperationRecord, operation_under_way, timestamp

AUTOMATED = {"sync": {"revision": REVISION, "prune": True}, "initiatedBy": {"automated": True}}
SOURCE = {"repoURL": "https://git.example/shop.git", "path": "deploy"}


def requested_and_started() -> dict[str, object]:
    """The app as the reconciler's auto-sync write leaves it."""
    app = application(operation=AUTOMATED)
    record = OperationRecord(
        operation=AUTOMATED, started_at=timestamp(FakeClock()()), revision=REVISION, source=None
    )
    app["status"] = {"operationState": record.to_dict()}
    return app


def test_the_runner_resumes_the_recorded_start_with_one_write_at_its_end() -> None:
    clock = FakeClock()
    port = FakeApp(requested_and_started())
    state = OperationRunner(FakeCluster(clock), port, config(clock)).run(
        port.app, [cm("settings"), cm("more")], [], REVISION, SOURCE
    )

    assert state["phase"] == "Succeeded", state["message"]
    assert port.patches == 1  # the completion; Running was written with the request
    assert "OperationStarted" not in port.reasons()  # the reconciler recorded it with its write
    assert state["syncResult"]["source"] == SOURCE  # added by the runner, which renders it
    assert "operation" not in port.app


def test_until_its_first_task_the_sync_counts_as_new() -> None:
    app = requested_and_started()
    assert not operation_under_way(app)

    state = app["status"]["operationState"]  # type: ignore[index]
    state["syncResult"]["resources"] = [{"kind": "ConfigMap", "name": "settings", "status": "Synced"}]
    assert operation_under_way(app)

    state["syncResult"]["resources"] = []
    state["retryCount"] = 1
    assert operation_under_way(app)

    state["retryCount"], state["phase"] = 0, "Terminating"
    assert operation_under_way(app)

    state["phase"] = "Succeeded"
    assert not operation_under_way(app)
