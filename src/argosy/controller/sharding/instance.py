"""Which controller *process* holds a replica id's Lease.

Replica ids default to the host name, so two controllers started on one host
with the default configuration (a misconfiguration, or a restart overlapping
the old process) share an id. Without a process identity both would renew the
same member Lease and both would reconcile every app. The member Lease records
the holder's :class:`ProcessIdentity`; another process with the same id stands
by until that Lease expires — or at once when the holder ran on this very host
and its process is gone (a SIGKILLed controller restarted in place takes over
without waiting out the Lease).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from argosy import procstat


class ReplicaIdInUse(RuntimeError):
    """Another live controller process holds this replica id: stand by."""

    def __init__(self, replica: str, holder: str) -> None:
        super().__init__(
            f"controller replica id {replica!r} is held by another running controller process "
            f"({holder}); standing by until it stops. Give each replica its own --replica-id "
            "(POD_NAME) to share the applications instead."
        )
        self.replica = replica
        self.holder = holder


@dataclass(frozen=True)
class ProcessIdentity:
    host: str
    boot: str
    pid: int
    start: str

    @classmethod
    def current(cls) -> ProcessIdentity:
        pid = os.getpid()
        return cls(socket.gethostname(), procstat.boot_id(), pid, procstat.start_time(pid) or "")

    def token(self) -> str:
        return f"{self.host}/{self.boot}/{self.pid}/{self.start}"

    @classmethod
    def parse(cls, token: str) -> ProcessIdentity | None:
        parts = token.rsplit("/", 3)
        if len(parts) != 4 or not parts[2].isdigit():
            return None
        return cls(parts[0], parts[1], int(parts[2]), parts[3])

    def gone(self, here: ProcessIdentity) -> bool:
        """True only when this identity is of ``here``'s host and boot and its process has exited.

        Anything else (another host, an unknown boot) is judged by Lease expiry alone."""
        if not self.boot or (self.host, self.boot) != (here.host, here.boot):
            return False
        return procstat.start_time(self.pid) != self.start
