"""Find the helm and kustomize binaries and report their versions.

``$ARGOSY_HELM`` / ``$ARGOSY_KUSTOMIZE`` / ``$ARGOSY_GIT`` name a binary
explicitly; otherwise it is looked up on ``PATH``, like any program. (In a
checkout, ``argosy dev build --tools-only`` builds the pinned versions into
``~/.cache/argosy/path`` and the dev scripts put that folder first on
``PATH``; an installed Argosy never looks into dev caches.) The versions are
part of every cache key, so upgrading a tool re-renders.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

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
    found = shutil.which(tool)
    if found:
        return found
    fix = (
        "install git"
        if tool == "git"
        else f"install {tool} (or, in a checkout, run `argosy dev build --tools-only` and put "
        "~/.cache/argosy/path first on PATH)"
    )
    raise ToolNotFoundError(f"{tool} not found on PATH: {fix}, or set ${_ENV[tool]} to its path")


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
