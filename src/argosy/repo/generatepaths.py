"""``argocd.argoproj.io/manifest-generate-paths``: skip renders a commit cannot affect.

The annotation lists paths (``;``-separated) relative to the source's
``path`` - ``.`` is the source path itself - or, when starting with ``/``,
relative to the repository root. When a new commit touches none of them, the
manifests rendered for the previous commit are reused for the new one.
"""

from __future__ import annotations

import posixpath


def watched_paths(annotation: str, source_path: str) -> list[str]:
    out = []
    for raw in annotation.split(";"):
        item = raw.strip()
        if not item:
            continue
        if item.startswith("/"):
            path = posixpath.normpath(item.lstrip("/") or ".")
        else:
            path = posixpath.normpath(posixpath.join(source_path or ".", item))
        out.append("" if path == "." else path)
    return out


def affected(changed: list[str], annotation: str, source_path: str) -> bool:
    """Whether any changed file lies under a watched path."""
    paths = watched_paths(annotation, source_path)
    for file in changed:
        for p in paths:
            if p == "" or file == p or file.startswith(p.rstrip("/") + "/"):
                return True
    return False
