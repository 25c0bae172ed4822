"""Every Job that ever existed in a namespace, by name and UID, seen through a watch.

Counting hook runs by looking at the namespace afterwards misses hooks that
were created and deleted in between (``HookSucceeded``, ``BeforeHookCreation``,
a cascade). ``kubectl get jobs --watch`` prints one line per event, so a Job
created twice under one name shows as two UIDs even if neither is left.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import defaultdict
from pathlib import Path
from types import TracebackType

from support.cluster import ClusterHandle

COLUMNS = "NAME:.metadata.name,UID:.metadata.uid,DELETING:.metadata.deletionTimestamp"


class JobWatch:
    """``with JobWatch(cluster, ns) as jobs: ...``; ``jobs.uids("pre")`` is every UID seen."""

    def __init__(self, cluster: ClusterHandle, namespace: str) -> None:
        self.cluster = cluster
        self.namespace = namespace
        self._seen: dict[str, list[str]] = defaultdict(list)
        self._created_at: dict[str, float] = {}
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[str] | None = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> JobWatch:
        cmd = ["kubectl", f"--kubeconfig={Path(self.cluster.kubeconfig)}", "get", "jobs"]
        cmd += ["-n", self.namespace, "--watch", "--no-headers", "-o", f"custom-columns={COLUMNS}"]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(timeout=10)

    def _read(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        for line in self._proc.stdout:
            parts = line.split()
            if len(parts) < 2:
                continue
            name, uid = parts[0], parts[1]
            with self._lock:
                if uid not in self._seen[name]:
                    self._seen[name].append(uid)
                    self._created_at[uid] = time.monotonic()

    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def uids(self, name: str) -> list[str]:
        """UIDs of every Job named ``name`` seen so far, in the order they appeared."""
        with self._lock:
            return list(self._seen.get(name, []))

    def names(self) -> set[str]:
        with self._lock:
            return set(self._seen)

    def seen_since(self, moment: float) -> set[str]:
        """UIDs first seen after ``moment`` (``time.monotonic()``)."""
        with self._lock:
            return {uid for uid, at in self._created_at.items() if at > moment}
