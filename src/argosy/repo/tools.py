"""Find the helm and kustomize binaries and report their versions.

Argosy pins the tool versions it tests with (``argosy dev build --tools-only``
builds them into ``~/.cache/argosy/path``). ``$ARGOSY_HELM`` /
``$ARGOSY_KUSTOMIZE`` override the lookup; ``PATH`` is the last resort. The
versions are part of every cache key, so upgrading a tool re-renders.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from argosy.devcluster.paths import cache_dir
from argosy.repo import execute
from argosy.repo.errors import ToolNotFoundError

_ENV = {"helm": "ARGOSY_HELM", "kustomize": "ARGOSY_KUSTOMIZE", "git": "ARGOSY_GIT"}
_versions: dict[str, str] = {}
_lock = threading.Lock()


def find(tool: str) -> str:
    """The path of ``tool``; the error names the binary and how to get it."""
    explicit = os.environ.get(_ENV.get(tool, ""), "")
    if explicit:
        if Path(explicit).is_file() and os.access(explicit, os.X_OK):
            return explicit
        raise ToolNotFoundError(f"${_ENV[tool]}={explicit} is not an executable {tool} binary")
    cached = cache_dir() / "path" / tool
    if cached.is_file() and os.access(cached, os.X_OK):
        return str(cached)
    found = shutil.which(tool)
    if found:
        return found
    fix = "install git" if tool == "git" else "run `argosy dev build --tools-only`"
    raise ToolNotFoundError(
        f"{tool} not found (looked at ${_ENV[tool]}, {cached} and PATH): {fix} or set ${_ENV[tool]}"
    )


def version(tool: str) -> str:
    """The tool's version string (cached per process), part of every cache key."""
    path = find(tool)
    key = f"{tool}:{path}"
    with _lock:
        if key in _versions:
            return _versions[key]
    args = {
        "helm": [path, "version", "--short"],
        "kustomize": [path, "version"],
        "git": [path, "--version"],
    }[tool]
    out = execute.run(args, timeout=30).text.strip() or "unknown"
    with _lock:
        _versions[key] = out
    return out


def version_or_absent(tool: str) -> str:
    """Like :func:`version`, but "absent" when the tool is missing (it cannot have rendered then)."""
    try:
        return version(tool)
    except ToolNotFoundError:
        return "absent"
