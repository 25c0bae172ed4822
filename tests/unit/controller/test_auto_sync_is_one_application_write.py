"""An automated sync is requested, and recorded as started, in the same PATCH as the status it
was decided from.

Application writes were ~9 per app of a syncing 1,000-app fleet, all through one client
limited to 50 QPS; the auto-sync's ``operation`` used to be a PATCH of its own right before
the status PATCH of the same reconcile. One write carries both now, and nothing else changes:
the operation is Argo CD's, the status is the comparison's, the SyncError condition is kept.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from argosy.appstate.compare import Comparison
from argosy.appstate.settings import ControllerSettings
from argosy.controller.reconciler import Reconciler
from argosy.repo.result import RenderResult, SourceResult

Obj = dict[str, Any]
REVISION = "a" * 40


class ControlPlane:
    def __init__(self) -> None:
        self.patches: list[Obj] = []
        self.events: list[str] = []

    def patch_app(self, namespace: str, name: str, patch: Obj) -> Obj | None:
        self.patches.append(patch)
        return None

    def emit_event(self, app: Obj, reason: str, message: str, type_: str = "Normal") -> None:
        self.events.append(reason)


class State:
    """The comparison the reconciler would get: out of sync at ``REVISION``."""

    def __init__(self, sync_status: str) -> None:
        self.sync_status = sync_status

    def prepare(self, app: Obj, settings: ControllerSettings, **_: Any) -> Any:
        source = SourceResult(repo_url="https://git.example/fleet", revision=REVISION)
        rendered = RenderResult(sources=[source])
        return SimpleNamespace(
            rendered=rendered,
            comparison=Comparison(sync_status=self.sync_status),
            conditions=[],
            project={"metadata": {"name": "default"}, "spec": {}},
        )


def application(automated: bool) -> Obj:
    spec: Obj = {
        "project": "default",
        "source": {"repoURL": "https://git.example/fleet", "path": "app-1", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "app-1"},
    }
    if automated:
        spec["syncPolicy"] = {"automated": {"prune": True, "selfHeal": True}}
    return {"metadata": {"name": "app-1", "namespace": "argocd"}, "spec": spec, "status": {}}


def reconcile(app: Obj, sync_status: str) -> tuple[ControlPlane, Any]:
    cp = ControlPlane()
    settings = ControllerSettings(namespace="argocd")
    reconciler = Reconciler(cp, State(sync_status), lambda: settings)  # type: ignore[arg-type]
    return cp, reconciler.reconcile(app)


def test_an_out_of_sync_automated_app_is_written_once_with_its_operation() -> None:
    cp, outcome = reconcile(application(automated=True), "OutOfSync")

    assert outcome.started_sync and not outcome.error
    assert len(cp.patches) == 1, cp.patches
    patch = cp.patches[0]
    assert patch["operation"]["sync"]["revision"] == REVISION
    assert patch["operation"]["sync"]["prune"] is True
    assert patch["operation"]["initiatedBy"]["automated"] is True
    assert patch["status"]["sync"]["status"] == "OutOfSync"


def test_no_operation_is_written_when_no_sync_is_due() -> None:
    cp, outcome = reconcile(application(automated=False), "OutOfSync")
    assert not outcome.started_sync
    assert [sorted(p) for p in cp.patches] == [["status"]]

    cp, outcome = reconcile(application(automated=True), "Synced")
    assert not outcome.started_sync
    assert all("operation" not in p for p in cp.patches)


def test_the_same_write_records_the_sync_as_started() -> None:
    cp, _ = reconcile(application(automated=True), "OutOfSync")

    patch = cp.patches[0]
    state = patch["status"]["operationState"]
    assert state["phase"] == "Running"
    assert state["operation"] == patch["operation"]
    assert state["syncResult"] == {"revision": REVISION, "resources": []}
    assert state["startedAt"] and state["finishedAt"] is None  # null clears the last sync's end
    assert "OperationStarted" in cp.events

    cp, _ = reconcile(application(automated=True), "Synced")
    assert all("operationState" not in p.get("status", {}) for p in cp.patches)
    assert "OperationStarted" not in cp.events
