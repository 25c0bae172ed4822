"""assess(): deletion, Lua overrides from argocd-cm (single key, split keys, wildcards)."""

from __future__ import annotations

from typing import Any

from argosy.engine.health import PENDING_DELETION, HealthStatusCode, assess
from argosy.settings.resource_customizations import parse

H = HealthStatusCode

# Argo CD's cert-manager Certificate health check, as users paste it into argocd-cm.
CERT_MANAGER_LUA = """
hs = {}
if obj.status ~= nil then
  if obj.status.conditions ~= nil then
    for i, condition in ipairs(obj.status.conditions) do
      if condition.type == "Ready" and condition.status == "False" then
        hs.status = "Degraded"
        hs.message = condition.message
        return hs
      end
      if condition.type == "Ready" and condition.status == "True" then
        hs.status = "Healthy"
        hs.message = condition.message
        return hs
      end
    end
  end
end
hs.status = "Progressing"
hs.message = "Waiting for certificate"
return hs
"""
SINGLE_KEY_CM = {
    "resource.customizations": "cert-manager.io/Certificate:\n  health.lua: |\n"
    + "".join(f"    {line}\n" for line in CERT_MANAGER_LUA.strip().splitlines())
}


def _cert(*conditions: dict[str, str]) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": "c"},
    }
    if conditions:
        obj["status"] = {"conditions": list(conditions)}
    return obj


def test_cert_manager_certificate_script() -> None:
    overrides = parse(SINGLE_KEY_CM)
    ready = assess(
        _cert({"type": "Ready", "status": "True", "message": "Certificate is up to date"}), overrides
    )
    assert ready is not None and (ready.status, ready.message) == (H.HEALTHY, "Certificate is up to date")
    failed = assess(_cert({"type": "Ready", "status": "False", "message": "Issuer not found"}), overrides)
    assert failed is not None and (failed.status, failed.message) == (H.DEGRADED, "Issuer not found")
    waiting = assess(_cert(), overrides)
    assert waiting is not None and (waiting.status, waiting.message) == (
        H.PROGRESSING,
        "Waiting for certificate",
    )
    assert assess(_cert(), {}) is None  # without the script Argosy has no opinion


def test_custom_script_overrides_the_builtin_rule() -> None:
    overrides = parse(
        {"resource.customizations.health.apps_Deployment": 'return {status="Suspended", message="mine"}'}
    )
    dep = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}, "status": {}}
    r = assess(dep, overrides)
    assert r is not None and (r.status, r.message) == (H.SUSPENDED, "mine")


def test_core_group_and_wildcard_keys() -> None:
    overrides = parse(
        {
            "resource.customizations.health.ConfigMap": 'return {status="Healthy", message="core"}',
            "resource.customizations.health.*.crossplane.io_*": 'return {status="Degraded", message="glob"}',
        }
    )
    cm = assess({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}, overrides)
    assert cm is not None and cm.message == "core"
    xp = {"apiVersion": "aws.crossplane.io/v1", "kind": "Bucket", "metadata": {"name": "b"}}
    r = assess(xp, overrides)
    assert r is not None and (r.status, r.message) == (H.DEGRADED, "glob")


def test_use_open_libs_per_kind() -> None:
    script = 'return {status="Healthy", message=string.lower(obj.kind)}'
    closed = parse({"resource.customizations.health.example.com_Widget": script})
    opened = parse(
        {
            "resource.customizations.health.example.com_Widget": script,
            "resource.customizations.useOpenLibs.example.com_Widget": "true",
        }
    )
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    r = assess(widget, closed)
    assert r is not None and r.status == H.UNKNOWN
    r = assess(widget, opened)
    assert r is not None and (r.status, r.message) == (H.HEALTHY, "widget")


def test_object_being_deleted_is_progressing() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "deletionTimestamp": "2024-01-01T00:00:00Z"},
    }
    r = assess(pod)
    assert r is not None and (r.status, r.message) == (H.PROGRESSING, PENDING_DELETION)
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "c", "deletionTimestamp": "2024-01-01T00:00:00Z"},
    }
    r = assess(cm)
    assert r is not None and r.status == H.PROGRESSING  # even kinds without a rule


def test_hook_still_being_read_is_not_pending_deletion() -> None:
    meta = {
        "name": "hook",
        "deletionTimestamp": "2024-01-01T00:00:00Z",
        "finalizers": ["argocd.argoproj.io/hook-finalizer"],
    }
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "status": {"conditions": []}}
    r = assess(job)
    assert r is not None and (r.status, r.message) == (H.PROGRESSING, "")


def test_not_an_object_is_unknown() -> None:
    r = assess(["not", "an", "object"])  # type: ignore[arg-type]
    assert r is not None and r.status == H.UNKNOWN and "mapping" in r.message
