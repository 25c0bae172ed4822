"""Reading Argo CD's ``operation`` JSON into a sync request."""

from __future__ import annotations

from sync_helpers import STARTED

from argosy.engine.sync import ResourceSelector, request_from_operation
from argosy.engine.sync.common import ResourceKey
from argosy.model.status import SyncStatusCode


def test_operation_json_is_read() -> None:
    operation = {
        "sync": {
            "revision": "HEAD",
            "prune": True,
            "dryRun": True,
            "syncOptions": ["Replace=true"],
            "syncStrategy": {"apply": {"force": True}},
            "resources": [{"group": "apps", "kind": "Deployment", "name": "web"}, {"kind": "ConfigMap"}],
        }
    }
    req, problems = request_from_operation(operation, STARTED, revision="abc123")
    assert (req.revision, req.prune, req.dry_run, req.force, req.apply_only) == (
        "abc123",
        True,
        True,
        True,
        True,
    )
    assert req.sync_options == ("Replace=true",)
    assert req.resources == (ResourceSelector("apps", "Deployment", "web"),)
    assert [p.field for p in problems] == ["operation.sync.resources[1]"]


def test_hook_strategy_is_the_default() -> None:
    req, problems = request_from_operation({"sync": {}}, STARTED)
    assert problems == [] and req.apply_only is False and not req.prune


def test_selector_namespace_is_optional() -> None:
    key = ResourceKey("apps", "Deployment", "ns", "web")
    assert ResourceSelector("apps", "Deployment", "web").matches(key)
    assert ResourceSelector("apps", "Deployment", "web", "ns").matches(key)
    assert not ResourceSelector("apps", "Deployment", "web", "other").matches(key)
    assert not ResourceSelector("", "Deployment", "web").matches(key)
    assert SyncStatusCode("Synced") is SyncStatusCode.SYNCED
