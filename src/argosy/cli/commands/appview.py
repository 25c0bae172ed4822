"""What ``app list``, ``app get``, ``app history`` and ``app resources`` print.

Pure functions from API objects to text, in ``argocd``'s layout (same
columns, same header labels), so they are unit-tested without a server and
Argo CD users find each value where they expect it. ``app get`` adds one
thing Argo CD does not say: when a sync window blocks syncing, when the next
allowed window opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from argosy.cli.commands.appspec import sync_policy_text
from argosy.cli.commands.backend import Obj
from argosy.cli.output import cell, duration, format_time, key_values, short_sha, table

LIST_HEADERS = [
    "NAME",
    "CLUSTER",
    "NAMESPACE",
    "PROJECT",
    "STATUS",
    "HEALTH",
    "SYNCPOLICY",
    "CONDITIONS",
    "REPO",
    "PATH",
    "TARGET",
]
RESOURCE_HEADERS = ["GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"]


def qualified_name(app: Mapping[str, Any]) -> str:
    meta = app.get("metadata") or {}
    ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    return f"{ns}/{name}" if ns else name


def source_of(app: Mapping[str, Any]) -> Obj:
    spec = app.get("spec") or {}
    if isinstance(spec.get("source"), dict):
        return dict(spec["source"])
    sources = spec.get("sources") or []
    return dict(sources[0]) if sources and isinstance(sources[0], dict) else {}


def cluster_of(app: Mapping[str, Any]) -> str:
    dest = (app.get("spec") or {}).get("destination") or {}
    return str(dest.get("server") or dest.get("name") or "")


def conditions_text(app: Mapping[str, Any]) -> str:
    """``app list``'s CONDITIONS: ``<none>`` or ``Type(count)`` pairs, as argocd."""
    counts: dict[str, int] = {}
    for c in (app.get("status") or {}).get("conditions") or []:
        kind = str((c or {}).get("type") or "")
        counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return "<none>"
    return ",".join(f"{k}({n})" for k, n in counts.items())


def list_row(app: Obj) -> list[str]:
    status = app.get("status") or {}
    src = source_of(app)
    dest = (app.get("spec") or {}).get("destination") or {}
    return [
        qualified_name(app),
        cluster_of(app),
        str(dest.get("namespace") or ""),
        str((app.get("spec") or {}).get("project") or "default"),
        str((status.get("sync") or {}).get("status") or ""),
        str((status.get("health") or {}).get("status") or ""),
        sync_policy_text(app.get("spec")),
        conditions_text(app),
        str(src.get("repoURL") or ""),
        str(src.get("path") or src.get("chart") or ""),
        str(src.get("targetRevision") or ""),
    ]


def sync_policy_line(spec: Any) -> str:
    automated = ((spec or {}).get("syncPolicy") or {}).get("automated")
    if automated is None:
        return "Manual"
    extras = [n for n, k in (("Prune", "prune"), ("SelfHeal", "selfHeal")) if automated.get(k)]
    return "Automated" + (f" ({', '.join(extras)})" if extras else "")


def window_lines(app: Obj, project: Obj | None, now: datetime | None = None) -> list[tuple[str, str]]:
    """``SyncWindow`` (allowed/denied and why) and, when denied, when syncing is next allowed."""
    if project is None:
        return [("SyncWindow", "Unknown (cannot read the project)")]
    from argosy.engine.syncwindows import SyncWindows  # only 'app get' needs the window rules

    windows = SyncWindows.from_project(project).matches(app)
    if not len(windows):
        return [("SyncWindow", "Sync Allowed")]
    now = now or datetime.now(UTC)
    decision = windows.decide(now, manual=False)
    if decision.allowed:
        return [("SyncWindow", "Sync Allowed"), ("Window", decision.reason)]
    lines = [("SyncWindow", "Sync Denied"), ("Window", decision.reason)]
    nxt = windows.next_allowed(now, manual=False)
    if nxt is None:
        lines.append(("Next Sync Window", "none within 8 days (check the project's windows)"))
    else:
        wait = duration(now.isoformat(), nxt.isoformat())
        lines.append(("Next Sync Window", f"{format_time(nxt.isoformat())} (in {wait})"))
    manual = windows.decide(now, manual=True)
    lines.append(("Manual Sync", "allowed (manualSync)" if manual.allowed else "blocked"))
    return lines


def resource_rows(app: Obj) -> list[list[str]]:
    """``status.resources`` joined with the last sync's messages, as the table of ``app get``."""
    status = app.get("status") or {}
    results: dict[tuple[str, str, str, str], Obj] = {}
    for r in ((status.get("operationState") or {}).get("syncResult") or {}).get("resources") or []:
        results[(r.get("group", ""), r.get("kind", ""), r.get("namespace", ""), r.get("name", ""))] = r
    rows = []
    for r in status.get("resources") or []:
        key = (r.get("group", ""), r.get("kind", ""), r.get("namespace", ""), r.get("name", ""))
        result = results.get(key) or {}
        health = r.get("health") or {}
        # What needs attention first: why a resource is not Healthy, else how its last sync went.
        unhealthy = health.get("status") not in (None, "", "Healthy") and health.get("message")
        message = str(health["message"]) if unhealthy else str(result.get("message") or "")
        rows.append(
            [
                key[0],
                key[1],
                key[2],
                key[3],
                str(r.get("status") or ""),
                str(health.get("status") or ""),
                str(result.get("hookType") or ""),
                message,
            ]
        )
    return rows


def operation_lines(app: Obj) -> list[tuple[str, str]]:
    state = (app.get("status") or {}).get("operationState")
    if not isinstance(state, dict):
        return []
    op = state.get("operation") or {}
    sync = op.get("sync") or {}
    return [
        ("Operation", "Sync" if sync or "sync" in op else "Unknown"),
        (
            "Sync Revision",
            short_sha(str((state.get("syncResult") or {}).get("revision") or sync.get("revision") or "")),
        ),
        ("Phase", str(state.get("phase") or "")),
        ("Start", format_time(str(state.get("startedAt") or ""))),
        ("Finished", format_time(str(state.get("finishedAt") or ""))),
        ("Duration", duration(str(state.get("startedAt") or ""), str(state.get("finishedAt") or ""))),
        ("Message", str(state.get("message") or "")),
    ]


def app_get_text(app: Obj, project: Obj | None, *, server_url: str = "", now: datetime | None = None) -> str:
    spec = app.get("spec") or {}
    status = app.get("status") or {}
    dest = spec.get("destination") or {}
    src = source_of(app)
    sync = status.get("sync") or {}
    revision = short_sha(str(sync.get("revision") or ""))
    target = str(src.get("targetRevision") or "HEAD")
    sync_text = (
        f"{sync.get('status') or 'Unknown'} {'to' if sync.get('status') == 'Synced' else 'from'} {target}"
    )
    if revision:
        sync_text += f" ({revision})"
    health = status.get("health") or {}
    head: list[tuple[str, str]] = [
        ("Name", qualified_name(app)),
        ("Project", str(spec.get("project") or "default")),
        ("Server", str(dest.get("server") or dest.get("name") or "")),
        ("Namespace", str(dest.get("namespace") or "")),
    ]
    if server_url:
        head.append(("URL", f"{server_url}/applications/{app['metadata']['name']}"))
    lines = [key_values(head, 20), "Source:"]
    src_pairs = [
        ("- Repo", str(src.get("repoURL") or "")),
        ("  Target", str(src.get("targetRevision") or "")),
    ]
    if src.get("chart"):
        src_pairs.append(("  Chart", str(src["chart"])))
    else:
        src_pairs.append(("  Path", str(src.get("path") or "")))
    lines.append(key_values(src_pairs, 20))
    tail = [
        *window_lines(app, project, now),
        ("Sync Policy", sync_policy_line(spec)),
        ("Sync Status", sync_text),
        ("Health Status", str(health.get("status") or "")),
    ]
    if health.get("message"):
        tail.append(("Health Message", str(health["message"])))
    lines.append(key_values(tail, 20))
    ops = operation_lines(app)
    if ops:
        lines += ["", key_values(ops, 20)]
    conditions = status.get("conditions") or []
    if conditions:
        rows = [
            [c.get("type", ""), c.get("message", ""), format_time(str(c.get("lastTransitionTime") or ""))]
            for c in conditions
        ]
        lines += ["", table(["CONDITION", "MESSAGE", "LAST TRANSITION"], rows)]
    lines += ["", table(RESOURCE_HEADERS, resource_rows(app))]
    return "\n".join(lines)


def history_text(app: Obj) -> str:
    """``app history``: per source, ``ID DATE REVISION`` rows (as argocd)."""
    history = (app.get("status") or {}).get("history") or []
    groups: dict[str, list[list[str]]] = {}
    for h in history:
        src = h.get("source") or {}
        repo = str(src.get("repoURL") or source_of(app).get("repoURL") or "")
        target = str(src.get("targetRevision") or "")
        rev = str(h.get("revision") or "")
        shown = f"{target} ({short_sha(rev)})" if target and rev else rev
        groups.setdefault(repo, []).append(
            [cell(h.get("id")), format_time(str(h.get("deployedAt") or "")), shown]
        )
    if not groups:
        return table(["ID", "DATE", "REVISION"], [])
    parts = [f"SOURCE  {repo}\n" + table(["ID", "DATE", "REVISION"], rows) for repo, rows in groups.items()]
    return "\n\n".join(parts)


def resources_rows(app: Obj) -> list[list[str]]:
    """``app resources``: ``GROUP KIND NAMESPACE NAME ORPHANED``."""
    return [
        [
            str(r.get("group") or ""),
            str(r.get("kind") or ""),
            str(r.get("namespace") or ""),
            str(r.get("name") or ""),
            "Yes" if r.get("orphaned") else "No",
        ]
        for r in (app.get("status") or {}).get("resources") or []
    ]
