"""``argosy admin proj windows check``: would a sync be allowed at a given instant?

Sync windows are cron schedules in a time zone, with allow/deny precedence and
a manual-sync escape hatch: easy to get subtly wrong and, in Argo CD, only
testable by waiting for the clock. This command answers offline, from the
AppProject file and an instant, with no cluster and no server::

    argosy admin proj windows check -f project.yaml --at 2026-11-25T09:30:00+01:00 \\
        --app guestbook --namespace web --cluster in-cluster

It prints every window (active yes/no, and whether it applies to the given
application), whether an automated and a manual sync would be allowed at that
instant, which window decides, and when an automated sync is next allowed.
``-o json`` prints the same as one object for scripts. Exit status: 0 when the
windows could be evaluated, 1 when a window is invalid (it would block every
sync), 2 when the file or an option cannot be read.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import typer
import yaml

from argosy.engine.syncwindows import AppTarget, SyncDecision, SyncWindows, Window

EXIT_INVALID_WINDOWS = 1
EXIT_BAD_INPUT = 2

admin_proj_app = typer.Typer(help="Check AppProjects offline.", no_args_is_help=True)
windows_app = typer.Typer(help="Check AppProject sync windows offline.", no_args_is_help=True)
admin_proj_app.add_typer(windows_app, name="windows")


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(EXIT_BAD_INPUT)


def _load_project(path: Path) -> dict[str, Any]:
    """The first AppProject in a YAML/JSON file (``kubectl get appproject X -o yaml`` works)."""
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise _fail(f"cannot read {path}: {exc}") from exc
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "AppProject":
            return doc
    raise _fail(f"{path}: no AppProject found; save one with 'kubectl get appproject NAME -o yaml'")


def _parse_at(text: str | None) -> datetime:
    if text is None:
        return datetime.now().astimezone()
    try:
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError as exc:
        raise _fail(f"--at {text!r} is not an ISO 8601 time; write e.g. 2026-11-25T09:30:00+01:00") from exc
    if moment.tzinfo is None:
        raise _fail(f"--at {text!r} has no UTC offset; add one, e.g. {text}+01:00 or {text}Z")
    return moment


def _window_row(window: Window, at: datetime, target: AppTarget | None) -> dict[str, Any]:
    return {
        "id": window.index,
        "kind": window.kind,
        "schedule": window.schedule,
        "duration": window.duration_text,
        "timeZone": window.time_zone,
        "applications": list(window.applications),
        "namespaces": list(window.namespaces),
        "clusters": list(window.clusters),
        "manualSync": window.manual_sync,
        "andOperator": window.and_operator,
        "matches": True if target is None else window.matches(target),
        "active": None if window.problem else window.active(at),
        "error": window.problem,
    }


def _decision_json(decision: SyncDecision) -> dict[str, Any]:
    return {
        "allowed": decision.allowed,
        "reason": decision.reason,
        "decidingWindows": [w.index for w in decision.deciding],
        "error": decision.error,
    }


def _yes(value: bool | None) -> str:
    return "error" if value is None else ("yes" if value else "no")


def _print_text(result: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    header = f"Project {result['project']} at {result['at']}"
    app = result["application"]
    if app is not None:
        shown = ", ".join(f"{k} {v}" for k, v in app.items() if v)
        header += f" ({shown})"
    typer.echo(header)
    if not rows:
        typer.echo("No sync windows: syncs are always allowed.")
    else:
        table = [["ID", "KIND", "SCHEDULE", "DURATION", "TIMEZONE", "MANUALSYNC", "MATCHES", "ACTIVE"]]
        for row in rows:
            table.append(
                [
                    str(row["id"]),
                    row["kind"] or "?",
                    row["schedule"],
                    row["duration"],
                    row["timeZone"] or "UTC",
                    _yes(row["manualSync"]),
                    _yes(row["matches"]),
                    _yes(row["active"]),
                ]
            )
        widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
        for line in table:
            typer.echo("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
        for row in rows:
            if row["error"]:
                typer.echo(f"error: {row['error']}")
    typer.echo(f"Automated sync: {_verdict(result['automated'])}")
    typer.echo(f"Manual sync:    {_verdict(result['manual'])}")
    if result["nextAutomatedSync"] and result["nextAutomatedSync"] != result["at"]:
        typer.echo(f"Next automated sync allowed at {result['nextAutomatedSync']}")
    elif not result["automated"]["allowed"] and not result["automated"]["error"]:
        typer.echo("No automated sync is allowed within the next 8 days.")


def _verdict(decision: dict[str, Any]) -> str:
    return ("ALLOWED" if decision["allowed"] else "BLOCKED") + f" - {decision['reason']}"


@windows_app.command("check")
def check(
    file: Path = typer.Option(
        ..., "--file", "-f", help="AppProject YAML/JSON (kubectl get appproject -o yaml)."
    ),
    at: str | None = typer.Option(
        None,
        "--at",
        help="Instant to check, ISO 8601 with offset (default: now), e.g. 2026-11-25T09:30:00+01:00.",
    ),
    app: str | None = typer.Option(None, "--app", help="Application name the windows are matched against."),
    namespace: str | None = typer.Option(
        None, "--namespace", help="Destination namespace of the application."
    ),
    cluster: str | None = typer.Option(
        None, "--cluster", help="Destination cluster of the application: server URL or cluster name."
    ),
    output: str = typer.Option("text", "--output", "-o", help="Output format: text or json."),
) -> None:
    """Show each sync window at an instant and whether automated and manual syncs would be allowed."""
    if output not in ("text", "json"):
        raise _fail(f"--output must be text or json, not {output!r}")
    project = _load_project(file)
    moment = _parse_at(at)
    windows = SyncWindows.from_project(project)
    target = None
    if app is not None or namespace is not None or cluster is not None:
        target = AppTarget(
            name=app or "", namespace=namespace or "", server=cluster or "", cluster=cluster or ""
        )
    rows = [_window_row(w, moment, target) for w in windows]
    applicable = windows if target is None else windows.matches(target)
    nxt = applicable.next_allowed(moment, manual=False)
    result: dict[str, Any] = {
        "project": str((project.get("metadata") or {}).get("name") or ""),
        "at": moment.isoformat(),
        "application": None
        if target is None
        else {"application": app or "", "namespace": namespace or "", "cluster": cluster or ""},
        "windows": rows,
        "automated": _decision_json(applicable.decide(moment, manual=False)),
        "manual": _decision_json(applicable.decide(moment, manual=True)),
        "nextAutomatedSync": None if nxt is None else nxt.astimezone(moment.tzinfo).isoformat(),
    }
    if output == "json":
        typer.echo(json.dumps(result, indent=2))
    else:
        _print_text(result, rows)
    if windows.problems:
        raise typer.Exit(EXIT_INVALID_WINDOWS)
