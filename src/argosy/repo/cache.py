"""Render cache: the same commit and options are never rendered twice.

Keys hash (repository URL, resolved revision, path, source options, the
revisions of ``$ref`` sources, destination context, tool versions). Entries
live in an in-memory LRU and as JSON files on disk, so a restarted repo server
(or ``argosy admin app render`` run twice) skips the render too. Disk writes
are atomic (write then rename); an unreadable entry is a miss, not an error.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any


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

    def _path(self, key: str) -> Path | None:
        return self.directory / key[:2] / f"{key}.json" if self.directory else None

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            if key in self._mem:
                self._mem.move_to_end(key)
                self.hits += 1
                return self._mem[key]
        path = self._path(key)
        if path is not None and path.is_file():
            try:
                value = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
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
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(value, fh, separators=(",", ":"))
            os.replace(tmp, path)
        except OSError:
            Path(tmp).unlink(missing_ok=True)

    def clear_memory(self) -> None:
        with self._lock:
            self._mem.clear()
