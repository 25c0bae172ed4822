"""``status.history``: the syncs that succeeded, newest last, for ``app history`` and rollback.

Each successful, complete (not partial, not dry-run) sync appends an entry
``{id, revision, source, deployedAt, deployStartedAt, initiatedBy}``; ``id`` is
one more than the highest id so far (0 for the first), so ids are never reused
even after old entries are dropped. Only the newest
``spec.revisionHistoryLimit`` entries (default 10) are kept.

A rollback is an ordinary sync operation of an older entry's revision and
source (the server writes it, taking them from :func:`history_entry`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

DEFAULT_REVISION_HISTORY_LIMIT: Final = 10


def history_of(app: Mapping[str, Any]) -> list[dict[str, Any]]:
    status = app.get("status")
    items = status.get("history") if isinstance(status, Mapping) else None
    return [dict(item) for item in items or () if isinstance(item, Mapping)]


def history_limit(app: Mapping[str, Any]) -> int:
    spec = app.get("spec")
    value = spec.get("revisionHistoryLimit") if isinstance(spec, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return DEFAULT_REVISION_HISTORY_LIMIT


def append_history(
    history: Sequence[Mapping[str, Any]],
    *,
    revision: str,
    source: Mapping[str, Any] | None,
    deployed_at: str,
    deploy_started_at: str,
    initiated_by: Mapping[str, Any] | None,
    limit: int = DEFAULT_REVISION_HISTORY_LIMIT,
) -> list[dict[str, Any]]:
    """``history`` plus one entry, capped to the newest ``limit`` entries."""
    ids = [item.get("id") for item in history]
    next_id = max((i for i in ids if isinstance(i, int)), default=-1) + 1
    entry: dict[str, Any] = {
        "id": next_id,
        "revision": revision,
        "deployedAt": deployed_at,
        "deployStartedAt": deploy_started_at,
    }
    if source is not None:
        entry["source"] = dict(source)
    if initiated_by:
        entry["initiatedBy"] = dict(initiated_by)
    out = [dict(item) for item in history] + [entry]
    return out[len(out) - limit :] if limit > 0 else []


def history_entry(app: Mapping[str, Any], history_id: int) -> dict[str, Any]:
    """The entry a rollback to ``history_id`` re-deploys; raises naming the ids there are."""
    entries = history_of(app)
    for item in entries:
        if item.get("id") == history_id:
            return item
    name = str((app.get("metadata") or {}).get("name") or "")
    known = ", ".join(str(item.get("id")) for item in entries) or "none"
    raise KeyError(
        f"application {name!r} has no history entry with id {history_id} (ids: {known}); "
        "run 'argosy app history' to list them"
    )
