"""Per-user directories, as the XDG base-directory convention places them.

``user_cache_dir()`` is where Argosy keeps what can be rebuilt: the repo
server's working copies and render cache (``<cache>/repo-server``) and the
local clusters' binaries (``<cache>/bin``). ``$ARGOSY_CACHE_DIR`` overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    explicit = os.environ.get("ARGOSY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "argosy"
