"""Directory image overrides (``argosy.io/image-overrides``) are source settings for automated sync."""

from __future__ import annotations

from typing import Any

from argosy.controller.reconciler import last_sync
from argosy.engine.sync.autosync import AutoSyncDecision, Verdict, auto_sync_operation

SOURCE = {"repoURL": "r", "path": "plain", "targetRevision": "HEAD"}


def app(overrides: str, recorded: str | None) -> dict[str, Any]:
    operation: dict[str, Any] = {"sync": {"revision": "abc"}}
    if recorded is not None:
        operation["info"] = [{"name": "imageOverrides", "value": recorded}]
    return {
        "metadata": {"annotations": {"argosy.io/image-overrides": overrides} if overrides else {}},
        "spec": {"source": SOURCE, "syncPolicy": {"automated": {}}},
        "status": {
            "operationState": {
                "phase": "Succeeded",
                "operation": operation,
                "syncResult": {"revision": "abc", "source": SOURCE},
            }
        },
    }


def test_a_changed_override_is_a_changed_source() -> None:
    assert last_sync(app("", None)).same_source
    assert last_sync(app("web:v4", "web:v4")).same_source
    assert not last_sync(app("web:v4", None)).same_source
    assert not last_sync(app("web:v5", "web:v4")).same_source


def test_the_auto_sync_operation_records_the_overrides() -> None:
    decision = AutoSyncDecision(Verdict.SYNC, "source settings changed")
    operation = auto_sync_operation(app("web:v4", None), "abc", decision)
    assert operation["info"] == [{"name": "imageOverrides", "value": "web:v4"}]
    assert "info" not in auto_sync_operation(app("", None), "abc", decision)
