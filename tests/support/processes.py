"""What runs on this machine, read from ``/proc``: orphaned render processes are found here.

Command lines are NUL-separated in ``/proc/<pid>/cmdline``, so look for one
argument (a unique marker), not for a phrase with spaces. Zombies (killed,
not yet reaped) count as gone.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def _stat_fields(pid: int) -> list[str]:
    """Fields of ``/proc/<pid>/stat`` after the command name (state first); [] when gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def processes_with(token: str) -> list[int]:
    """Live processes (not this one) with ``token`` in their command line."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if token.encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def descendants(pid: int) -> set[int]:
    """Children, grandchildren, ... of ``pid`` right now."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    out: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.add(child)
            todo.append(child)
    return out


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (neither gone nor zombies)."""
    return {pid for pid in pids if (fields := _stat_fields(pid)) and fields[0] != "Z"}


def wait_for(check: Callable[[], T], what: str, timeout: float) -> T:
    """Poll ``check`` until it returns something true; fail saying ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f}s: {what}")
