"""What the kernel says about a local process: is it still the one we recorded?

A PID alone is not an identity (PIDs are recycled, and every container starts at
PID 1); the start time from ``/proc/PID/stat`` together with the boot id tells the
same process apart from a later one. The dev cluster uses it to never signal a
recycled PID, the controller to know that the process holding its replica Lease
on this host has exited (see :mod:`argosy.controller.sharding.instance`).
"""

from __future__ import annotations

from pathlib import Path


def start_time(pid: int) -> str | None:
    """Field 22 of ``/proc/PID/stat`` (clock ticks after boot), or None when ``pid`` has exited.

    A zombie (exited, waiting to be reaped) counts as exited."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; fields after the closing paren are fixed.
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":
        return None
    return fields[19]


def boot_id() -> str:
    """This boot of this machine's kernel ("" where ``/proc`` does not say)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""
