"""Live progress of ``app sync`` and ``app wait``, from ``status.operationState``.

The controller records every step of a sync in the Application's status
(phase, message, one result per resource and hook with its sync phase and
hook phase), so following a sync is reading the Application until the
operation ends. On a terminal the view is redrawn in place with Rich (phase,
message, a table of resources by phase and wave); in CI logs (no terminal)
each change is printed once, as a line, so logs stay readable.

Exit codes follow ``argocd``: the operation ending Failed or Error, or the
timeout passing, is a command-specific failure (1).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from argosy.cli.commands.backend import EXIT_COMMAND_SPECIFIC, CliError, Obj
from argosy.cli.output import table

TERMINAL_PHASES = ("Succeeded", "Failed", "Error")
RESULT_HEADERS = ["PHASE", "WAVE", "GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HOOK", "MESSAGE"]


@dataclass
class WaitFor:
    """What ``app wait`` waits for (all of operation, sync and health when nothing is chosen)."""

    operation: bool = False
    sync: bool = False
    health: bool = False
    suspended: bool = False
    degraded: bool = False

    def normalized(self) -> WaitFor:
        if not (self.operation or self.sync or self.health or self.suspended or self.degraded):
            return WaitFor(operation=True, sync=True, health=True)
        return self


def _state(app: Obj) -> Obj:
    state = (app.get("status") or {}).get("operationState")
    return state if isinstance(state, dict) else {}


def operation_done(app: Obj) -> bool:
    """No operation requested or running, and the status was compared after the last one ended.

    The controller compares the app again right after an operation (and writes
    ``reconciledAt`` then), so waiting for it means the sync and health shown next are
    those of the synced objects, never a comparison made while the sync ran.
    """
    if app.get("operation") or _state(app).get("phase") in ("Running", "Terminating"):
        return False
    finished = _time(_state(app).get("finishedAt"))
    reconciled = _time((app.get("status") or {}).get("reconciledAt"))
    return finished is None or (reconciled is not None and reconciled >= finished)


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def unmet(app: Obj, want: WaitFor) -> list[str]:
    """The conditions not met yet (empty when the wait is over)."""
    status = app.get("status") or {}
    sync = (status.get("sync") or {}).get("status")
    health = (status.get("health") or {}).get("status")
    out = []
    if want.operation and not operation_done(app):
        out.append(f"operation ({_state(app).get('phase') or 'Pending'})")
    if want.sync and sync != "Synced":
        out.append(f"sync ({sync or 'Unknown'})")
    if want.health and health != "Healthy":
        out.append(f"health ({health or 'Unknown'})")
    if want.suspended and health != "Suspended":
        out.append(f"suspended ({health or 'Unknown'})")
    if want.degraded and health != "Degraded":
        out.append(f"degraded ({health or 'Unknown'})")
    return out


def result_rows(app: Obj) -> list[list[str]]:
    results = ((_state(app).get("syncResult") or {}).get("resources")) or []
    rows = []
    for r in results:
        hook = str(r.get("hookType") or "")
        if hook and r.get("hookPhase"):
            hook = f"{hook} ({r['hookPhase']})"
        rows.append(
            [
                str(r.get("syncPhase") or ""),
                str(r.get("syncWave", "")),
                str(r.get("group") or ""),
                str(r.get("kind") or ""),
                str(r.get("namespace") or ""),
                str(r.get("name") or ""),
                str(r.get("status") or "Running"),
                hook,
                str(r.get("message") or ""),
            ]
        )
    return rows


def _headline(app: Obj, waiting: list[str], elapsed: float) -> str:
    state = _state(app)
    phase = state.get("phase") or ("Pending" if app.get("operation") else "-")
    text = f"{app['metadata']['name']}: operation {phase}"
    if state.get("message"):
        text += f" - {state['message']}"
    if waiting:
        text += f"  [waiting for {', '.join(waiting)}; {elapsed:.0f}s]"
    return text


def _rich_view(app: Obj, waiting: list[str], elapsed: float) -> Group:
    grid = Table(box=None, pad_edge=False, show_edge=False, header_style="bold")
    for h in RESULT_HEADERS:
        grid.add_column(h, overflow="fold")
    for row in result_rows(app):
        style = "red" if row[6] in ("SyncFailed",) or "(Failed)" in row[7] else ""
        grid.add_row(*row, style=style)
    return Group(Text(_headline(app, waiting, elapsed)), grid)


class Watcher:
    """Poll an application until ``want`` holds; show progress on ``console``."""

    def __init__(self, fetch: Callable[[], Obj], console: Console, *, interval: float = 0.5) -> None:
        self.fetch = fetch
        self.console = console
        self.interval = interval
        self._printed: dict[tuple[str, ...], tuple[str, ...]] = {}
        self._last_headline = ""

    def _print_changes(self, app: Obj, waiting: list[str], elapsed: float) -> None:
        headline = _headline(app, waiting, elapsed).split("  [waiting")[0]
        if headline != self._last_headline:
            self.console.print(headline, highlight=False, markup=False, soft_wrap=True)
            self._last_headline = headline
        for row in result_rows(app):
            key, value = tuple(row[:6]), tuple(row[6:])
            if self._printed.get(key) != value:
                self._printed[key] = value
                self.console.print(
                    "  ".join(c for c in row if c), highlight=False, markup=False, soft_wrap=True
                )

    def wait(self, want: WaitFor, timeout: float, fail_on_operation: bool = True) -> Obj:
        start = time.monotonic()
        app = self.fetch()
        live: Live | None = None
        if self.console.is_terminal:
            live = Live(_rich_view(app, unmet(app, want), 0), console=self.console, refresh_per_second=4)
            live.start()
        try:
            while True:
                elapsed = time.monotonic() - start
                waiting = unmet(app, want)
                if live is not None:
                    live.update(_rich_view(app, waiting, elapsed))
                else:
                    self._print_changes(app, waiting, elapsed)
                phase = _state(app).get("phase")
                if (
                    fail_on_operation
                    and want.operation
                    and operation_done(app)
                    and phase in ("Failed", "Error")
                ):
                    raise CliError(
                        f"Operation has completed with phase: {phase}: {_state(app).get('message', '')}",
                        EXIT_COMMAND_SPECIFIC,
                    )
                if not waiting:
                    return app
                if timeout and elapsed > timeout:
                    raise CliError(
                        f"timed out ({timeout:.0f}s) waiting for app '{app['metadata']['name']}' to match "
                        f"desired state; still waiting for {', '.join(waiting)}",
                        EXIT_COMMAND_SPECIFIC,
                    )
                time.sleep(self.interval)
                app = self.fetch()
        finally:
            if live is not None:
                live.stop()


def results_table(app: Obj) -> str:
    rows = result_rows(app)
    return table(RESULT_HEADERS, rows) if rows else ""


def summary(app: Obj) -> dict[str, Any]:
    state = _state(app)
    return {"phase": state.get("phase"), "message": state.get("message")}
