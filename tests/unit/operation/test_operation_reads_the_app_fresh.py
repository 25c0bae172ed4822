"""The operation worker decides from the API server's Application, never from a lagging watch copy.

Found by the reliability kill loop: right after a sync completed, the status
worker still saw ``Running`` in its watch cache and queued the app again; the
operation worker resumed the finished operation from that old record and its
final write (``operation: null``) could wipe a sync requested in between.
"""

from __future__ import annotations

from typing import Any

from argosy.appstate.pipeline import ComparisonFailed
from argosy.appstate.settings import ControllerSettings
from argosy.controller.operation.executor import OperationExecutor
from argosy.kube.errors import KubeApiError

Obj = dict[str, Any]
OPERATION = {"initiatedBy": {"username": "alice"}, "sync": {"revision": "abc"}}


def application(resource_version: str, phase: str, *, requested: bool) -> Obj:
    app: Obj = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "web", "namespace": "argocd", "resourceVersion": resource_version},
        "spec": {"source": {"repoURL": "https://git.example/web", "path": "."}},
        "status": {
            "operationState": {
                "operation": OPERATION,
                "phase": phase,
                "startedAt": "2026-01-01T00:00:00Z",
                "syncResult": {"revision": "abc", "resources": []},
            }
        },
    }
    if requested:
        app["operation"] = OPERATION
    return app


class ApiServer:
    """The control plane's client: answers GET with ``current``, records every request."""

    def __init__(self, current: Obj) -> None:
        self.current = current
        self.requests: list[tuple[str, str]] = []

    def request(self, method: str, path: str, **_: Any) -> Any:
        self.requests.append((method, path))
        return self.current if method == "GET" else {}


class Reconciler:
    """Only the state preparation the executor starts with; stops the run there."""

    def __init__(self) -> None:
        self.prepared: list[Obj] = []
        self.state = self

    def prepare(self, app: Obj, settings: ControllerSettings) -> None:
        self.prepared.append(app)
        raise ComparisonFailed("ComparisonError", "stop here")


def executor(current: Obj) -> tuple[OperationExecutor, ApiServer, Reconciler]:
    api, reconciler = ApiServer(current), Reconciler()
    settings = ControllerSettings(namespace="argocd")
    ex = OperationExecutor(api, reconciler, lambda: settings, cache_for=None)  # type: ignore[arg-type]
    return ex, api, reconciler


def test_a_finished_operation_is_not_resumed_from_a_stale_watch_copy() -> None:
    stale = application("10", "Running", requested=True)
    ex, api, reconciler = executor(application("12", "Succeeded", requested=False))

    ex.run(stale)

    assert reconciler.prepared == [], "the finished operation was run again"
    assert [method for method, _ in api.requests] == ["GET"], "nothing may be written"


def test_a_running_operation_resumes_from_the_api_server_s_copy() -> None:
    stale = application("10", "Running", requested=True)
    ex, _api, reconciler = executor(application("12", "Running", requested=False))

    ex.run(stale)

    assert [a["metadata"]["resourceVersion"] for a in reconciler.prepared] == ["12"]


def test_an_app_deleted_meanwhile_runs_nothing() -> None:
    class Gone(ApiServer):
        def request(self, method: str, path: str, **_: Any) -> Any:
            self.requests.append((method, path))
            raise KubeApiError(cluster="in-cluster", message="not found", status=404)

    stale = application("10", "Running", requested=True)
    ex, _api, reconciler = executor({})
    ex.client = Gone({})  # type: ignore[assignment]

    ex.run(stale)

    assert reconciler.prepared == []
