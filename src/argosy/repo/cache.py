"""Render cache: the same commit and options are never rendered twice.

Keys hash (repository URL, resolved revision, path, source options, the
revisions of ``$ref`` sources, destination context, tool versions). Entries
live in an in-memory LRU and as JSON files on disk, so a restarted repo server
(or ``argosy admin app render`` run twice) skips the render too. Disk writes
are atomic (write then rename); an unreadable entry is a miss, not an error.

The disk is an optimisation, never a requirement: when the directory is
unwritable or full, renders go on from memory and the failure is logged (once
per distinct cause, naming the directory and what to do) and counted in
``disk_errors`` (``cacheDiskErrors`` in the repo server's ``/api/v1/stats``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

log = logging.getLogger("argosy.repo.cache")


def make_key(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


class RenderCache:
    def __init__(self, directory: Path | None, max_entries: int = 512) -> None:
        self.directory = directory
        self.max_entries = max_entries
        self._mem: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.disk_errors = 0
        self._last_disk_error = ""

    def _path(self, key: str) -> Path | None:
        return self.directory / key[:2] / f"{key}.json" if self.directory else None

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            if key in self._mem:
                self._mem.move_to_end(key)
                self.hits += 1
                return self._mem[key]
        path = self._path(key)
        value: Any = None
        if path is not None:
            try:
                value = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                value = None
            except OSError as exc:
                self._disk_failed("read", exc)
            except ValueError:
                value = None
            if isinstance(value, dict):
                self._remember(key, value)
                with self._lock:
                    self.hits += 1
                return value
        with self._lock:
            self.misses += 1
        return None

    def _remember(self, key: str, value: dict[str, Any]) -> None:
        with self._lock:
            self._mem[key] = value
            self._mem.move_to_end(key)
            while len(self._mem) > self.max_entries:
                self._mem.popitem(last=False)

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._remember(key, value)
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        except OSError as exc:
            self._disk_failed("write", exc)
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, separators=(",", ":"))
            os.replace(tmp, path)
            if self._last_disk_error:
                self._last_disk_error = ""
                log.info("render cache directory %s: writable again", self.directory)
        except OSError as exc:
            with contextlib.suppress(OSError):
                Path(tmp).unlink(missing_ok=True)
            self._disk_failed("write", exc)

    def _disk_failed(self, action: str, exc: OSError) -> None:
        """Count a disk failure; log it when its cause differs from the last one (a full disk
        fails every write - one line says so, not one per render)."""
        cause = f"{action}: {exc.strerror or exc}"
        with self._lock:
            self.disk_errors += 1
            repeated = cause == self._last_disk_error
            self._last_disk_error = cause
        if not repeated:
            log.warning(
                "render cache directory %s: cannot %s (%s); renders are kept in memory only "
                "until it works again - make the directory writable or free space on its disk",
                self.directory,
                action,
                exc.strerror or exc,
            )

    def clear_memory(self) -> None:
        with self._lock:
            self._mem.clear()
