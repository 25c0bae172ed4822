"""Keep every path a source names inside its repository.

Argo CD advisories (path traversal through ``path``, value files, symlinks)
show how a repository or an Application can read files of other repositories
or of the repo server itself. Every path from a source is therefore resolved
here: absolute paths, ``..`` that climbs out of the root, and symlinks whose
target lies outside the root are refused with an error naming the path.
"""

from __future__ import annotations

import os
from pathlib import Path

from argosy.repo.errors import PathEscapeError, PathNotFoundError


def resolve_in_root(root: Path, rel: str, what: str, base: Path | None = None) -> Path:
    """``rel`` (relative to ``base``, default the root) as a real path inside ``root``."""
    if os.path.isabs(rel):
        raise PathEscapeError(
            f"{what} {rel!r}: absolute paths are not allowed, use a path inside the repository"
        )
    real_root = root.resolve()
    start = (base or root).resolve()
    candidate = Path(os.path.normpath(start / rel))
    if not _inside(candidate, real_root):
        raise PathEscapeError(f"{what} {rel!r} resolves outside the repository root")
    real = candidate.resolve()
    if not _inside(real, real_root):
        raise PathEscapeError(
            f"{what} {rel!r} is a symlink (or goes through one) pointing outside the repository"
        )
    return real


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def app_path(root: Path, rel: str) -> Path:
    """The source's ``path`` as an existing directory inside the repository."""
    path = resolve_in_root(root, rel or ".", "path")
    if not path.exists():
        raise PathNotFoundError(f"path {rel!r} does not exist in the repository at this revision")
    if not path.is_dir():
        raise PathNotFoundError(f"path {rel!r} is not a directory")
    return path


def check_symlinks(root: Path, start: Path | None = None) -> None:
    """Refuse a tree that holds a symlink pointing outside ``root`` (Argo CD's out-of-bounds check)."""
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(start or root):
        if ".git" in dirnames and Path(dirpath) == root:
            dirnames.remove(".git")
        for name in dirnames + filenames:
            full = Path(dirpath) / name
            if full.is_symlink():
                target = Path(os.path.normpath(Path(dirpath) / os.readlink(full)))
                resolved = target.resolve() if target.exists() else target
                if not _inside(resolved, real_root):
                    rel = full.relative_to(root)
                    raise PathEscapeError(
                        f"repository contains an out-of-bounds symlink: {rel} -> {os.readlink(full)}"
                    )


def relative(root: Path, path: Path) -> str:
    """``path`` relative to the repository root, for provenance and messages."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except (RuntimeError, OSError):  # a symlink loop cannot be resolved: name the link itself
        return os.path.relpath(path, root)
    except ValueError:
        return str(path)


def tool_message(text: str, *roots: Path) -> str:
    """helm/kustomize output with the repo server's working directories cut from its paths.

    Tools name files by absolute path; the Application's owner knows them relative to the
    repository, and the server's cache layout is none of their business.
    """
    out = text.strip()
    for root in roots:
        for form in {str(root), str(root.resolve())}:
            out = out.replace(form.rstrip("/") + "/", "")
    return out
