"""What ``proj list``, ``proj get`` and ``proj windows list`` print (pure, unit-tested).

``windows_rows`` evaluates each window at the given instant with the same
logic the controller uses (``engine.syncwindows``), so ``Active`` here means
the controller treats the window as open right now; a window that cannot be
parsed says so instead of pretending to be inactive.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from argosy.cli.commands.backend import Obj
from argosy.cli.output import cell, key_values
from argosy.engine.syncwindows import Window


def _dest_text(d: Any) -> str:
    return f"{d.get('server') or d.get('name') or ''},{d.get('namespace') or ''}"


def _gk(items: Any) -> list[str]:
    return [f"{i.get('group') or ''}/{i.get('kind') or ''}" for i in items or []]


def _count(items: list[str], noun: str) -> str:
    if not items:
        return "<none>"
    return items[0] if len(items) == 1 else f"{len(items)} {noun}"


def project_row(project: Obj) -> list[str]:
    spec = project.get("spec") or {}
    orphaned = spec.get("orphanedResources")
    return [
        str((project.get("metadata") or {}).get("name") or ""),
        str(spec.get("description") or ""),
        _count([_dest_text(d) for d in spec.get("destinations") or []], "destinations"),
        _count([str(s) for s in spec.get("sourceRepos") or []], "repos"),
        _count(_gk(spec.get("clusterResourceWhitelist")), "resources"),
        _count(_gk(spec.get("namespaceResourceBlacklist")), "resources"),
        _count([str(k.get("keyID")) for k in spec.get("signatureKeys") or []], "keys"),
        "disabled" if orphaned is None else f"enabled ({'warn' if orphaned.get('warn') else 'no warn'})",
        _count([_dest_text(d) for d in spec.get("destinationServiceAccounts") or []], "service accounts"),
    ]


def project_get_text(project: Obj) -> str:
    spec = project.get("spec") or {}

    def many(items: list[str]) -> str:
        return ", ".join(items) if items else "<none>"

    pairs = [
        ("Name", str((project.get("metadata") or {}).get("name") or "")),
        ("Description", str(spec.get("description") or "")),
        ("Destinations", many([_dest_text(d) for d in spec.get("destinations") or []])),
        ("Repositories", many([str(s) for s in spec.get("sourceRepos") or []])),
        ("Source Namespaces", many([str(s) for s in spec.get("sourceNamespaces") or []])),
        ("Allowed Cluster Resources", many(_gk(spec.get("clusterResourceWhitelist")))),
        ("Denied Cluster Resources", many(_gk(spec.get("clusterResourceBlacklist")))),
        ("Allowed Namespaced Resources", many(_gk(spec.get("namespaceResourceWhitelist")))),
        ("Denied Namespaced Resources", many(_gk(spec.get("namespaceResourceBlacklist")))),
        ("Signature keys", many([str(k.get("keyID")) for k in spec.get("signatureKeys") or []])),
        ("Orphaned Resources", "disabled" if spec.get("orphanedResources") is None else "enabled"),
        ("Sync Windows", str(len(spec.get("syncWindows") or [])) or "<none>"),
        ("Roles", many([str(r.get("name")) for r in spec.get("roles") or []])),
    ]
    return key_values(pairs, 30)


def window_status(raw: Any, index: int, now: datetime) -> str:
    window = Window.from_dict(raw, index)
    if window.problem is not None:
        return f"Invalid ({window.problem})"
    return "Active" if window.active(now) else "Inactive"


def windows_rows(windows: list[Obj], now: datetime) -> list[list[str]]:
    """Rows of ``ID STATUS KIND SCHEDULE DURATION APPLICATIONS NAMESPACES CLUSTERS MANUALSYNC
    TIMEZONE USEANDOPERATOR``, as ``argocd proj windows list``."""
    rows = []
    for i, w in enumerate(windows):
        rows.append(
            [
                str(i),
                window_status(w, i, now),
                cell(w.get("kind")),
                cell(w.get("schedule")),
                cell(w.get("duration")),
                cell(w.get("applications")) or "-",
                cell(w.get("namespaces")) or "-",
                cell(w.get("clusters")) or "-",
                "Enabled" if w.get("manualSync") else "Disabled",
                cell(w.get("timeZone")) or "UTC",
                "Enabled" if w.get("andOperator") else "Disabled",
            ]
        )
    return rows
