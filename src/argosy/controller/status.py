"""Build ``status`` from a comparison, in Argo CD's layout, and write only what changed.

Argo CD clients (the ``argocd`` CLI, dashboards, ``kubectl get applications``)
read these fields, so their names and shapes are Argo CD's: ``sync``,
``health``, ``resources``, ``summary``, ``conditions``, ``reconciledAt``,
``sourceType``. Conditions keep their ``lastTransitionTime`` while unchanged,
so a condition's age means something.

When rendering failed, the previous resources and health are kept and only the
sync status turns ``Unknown`` with a ``ComparisonError``: a failure must never
look like "everything was deleted from Git".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from argosy.appstate.compare import UNKNOWN, Comparison

# Conditions the comparison owns; others (e.g. SyncError from auto-sync) are kept.
COMPARISON_CONDITIONS = frozenset(
    {
        "ComparisonError",
        "InvalidSpecError",
        "SharedResourceWarning",
        "ExcludedResourceWarning",
        "RepeatedResourceWarning",
        "OrphanedResourceWarning",
        "UnknownError",
    }
)
_SOURCE_TYPES = {"helm": "Helm", "kustomize": "Kustomize", "directory": "Directory", "plugin": "Plugin"}


def now_iso() -> str:
    """Now, to the microsecond: ``reconciledAt`` must be comparable with an operation's ``finishedAt``
    (a client waits for the comparison made after its sync, not one made during it)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def merge_conditions(
    previous: Sequence[dict[str, Any]], fresh: Sequence[dict[str, str]], owned: frozenset[str], now: str
) -> list[dict[str, Any]]:
    """Replace the ``owned`` condition types by ``fresh`` ones, keeping transition times of unchanged ones."""
    before = {(c.get("type"), c.get("message")): c for c in previous}
    out: list[dict[str, Any]] = [dict(c) for c in previous if c.get("type") not in owned]
    seen: set[tuple[str, str]] = set()
    for cond in fresh:
        ident = (cond["type"], cond["message"])
        if ident in seen:
            continue
        seen.add(ident)
        old = before.get(ident)
        out.append({**cond, "lastTransitionTime": (old or {}).get("lastTransitionTime") or now})
    return out


def compared_to(app: dict[str, Any]) -> dict[str, Any]:
    spec = app.get("spec") or {}
    target: dict[str, Any] = {"destination": spec.get("destination") or {}}
    if spec.get("sources"):
        target["sources"] = spec["sources"]
    else:
        target["source"] = spec.get("source") or {}
    if spec.get("ignoreDifferences"):
        target["ignoreDifferences"] = spec["ignoreDifferences"]
    return target


def source_types(tools: Sequence[str]) -> list[str]:
    return [_SOURCE_TYPES.get(t.lower(), t.capitalize() or "Directory") for t in tools]


def comparison_status(
    app: dict[str, Any],
    comparison: Comparison,
    revisions: Sequence[str],
    tools: Sequence[str],
    conditions: Sequence[dict[str, str]],
    now: str | None = None,
) -> dict[str, Any]:
    """The status fields a successful comparison owns (merge into the existing status)."""
    now = now or now_iso()
    previous = app.get("status") or {}
    sync: dict[str, Any] = {"status": comparison.sync_status, "comparedTo": compared_to(app)}
    if (app.get("spec") or {}).get("sources"):
        sync["revisions"] = list(revisions)
    else:
        sync["revision"] = revisions[0] if revisions else ""
    health: dict[str, Any] = {"status": str(comparison.health)}
    if comparison.health_message:
        health["message"] = comparison.health_message
    status: dict[str, Any] = {
        "sync": sync,
        "health": health,
        "resources": [r.to_status() for r in comparison.resources],
        "summary": {
            k: v for k, v in (("images", comparison.images), ("externalURLs", comparison.external_urls)) if v
        },
        "conditions": merge_conditions(
            previous.get("conditions") or [],
            [*comparison.conditions, *conditions],
            COMPARISON_CONDITIONS,
            now,
        ),
        "reconciledAt": now,
    }
    types = source_types(tools)
    if (app.get("spec") or {}).get("sources"):
        status["sourceTypes"] = types
    elif types:
        status["sourceType"] = types[0]
    return status


def failed_comparison_status(
    app: dict[str, Any], conditions: Sequence[dict[str, str]], now: str | None = None
) -> dict[str, Any]:
    """Status after a failed render or invalid spec: previous resources kept, sync Unknown."""
    now = now or now_iso()
    previous = app.get("status") or {}
    sync = dict(previous.get("sync") or {})
    sync["status"] = UNKNOWN
    sync["comparedTo"] = compared_to(app)
    return {
        "sync": sync,
        "health": previous.get("health") or {"status": "Unknown"},
        "conditions": merge_conditions(
            previous.get("conditions") or [], conditions, COMPARISON_CONDITIONS, now
        ),
        "reconciledAt": now,
    }


def changed(previous: dict[str, Any], update: dict[str, Any]) -> bool:
    """Whether writing ``update`` changes anything besides the reconcile timestamp."""
    for key, value in update.items():
        if key == "reconciledAt":
            continue
        if previous.get(key) != value:
            return True
    return False


def status_transitions(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Argo CD's ``ResourceUpdated`` messages for what changed between two app statuses:
    "Updated sync status: OutOfSync -> Synced", "Updated health status: Progressing -> Healthy"
    (an unknown side is empty, as Argo CD writes it)."""
    out = []
    for what in ("sync", "health"):
        old = str(((before.get(what) or {}).get("status")) or "")
        new = str(((after.get(what) or {}).get("status")) or "")
        if new and old != new:
            out.append(f"Updated {what} status: {old} -> {new}")
    return out
