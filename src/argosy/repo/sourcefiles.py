"""Parameter overrides stored in Git: ``.argocd-source.yaml`` and ``.argocd-source-<app>.yaml``.

As in Argo CD ("Store overrides in Git"), a file in the source's path holding
``helm:``, ``kustomize:``, ``directory:`` or ``plugin:`` fields is merged onto the
Application's source before rendering (JSON merge patch: maps merge, lists
and values replace). The files are read in this order, later ones winning:

1. ``.argocd-source.yaml`` (every app rendering this path);
2. ``.argocd-source-<name>.yaml``;
3. ``.argocd-source-<namespace>_<name>.yaml`` (apps in any namespace: two apps
   of the same name in different namespaces can differ).

The image updater's Git write-back commits such a file. Since the file is part
of the commit, renders stay cached by commit. A malformed file is a render
error naming the file, never silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from argosy.engine import yamlbounds
from argosy.repo.errors import InvalidSourceError
from argosy.repo.source import RenderSource, parse_source

ALLOWED = ("helm", "kustomize", "directory", "plugin")
MAX_BYTES = 1 << 20


def candidates(app_name: str, app_namespace: str) -> list[str]:
    names = [".argocd-source.yaml"]
    if app_name:
        names.append(f".argocd-source-{app_name}.yaml")
        if app_namespace:
            names.append(f".argocd-source-{app_namespace}_{app_name}.yaml")
    return names


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch (``null`` deletes a key)."""
    if not isinstance(patch, dict):
        return patch
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def apply_source_files(
    source: RenderSource, app_dir: Path, app_name: str, app_namespace: str
) -> RenderSource:
    """``source`` with the override files of ``app_dir`` merged in (itself when there are none)."""
    raw = dict(source.raw)
    used = []
    for name in candidates(app_name, app_namespace):
        path = app_dir / name
        if not path.is_file():
            continue
        if path.stat().st_size > MAX_BYTES:
            raise InvalidSourceError(f"{name}: larger than {MAX_BYTES} bytes")
        try:
            doc = yamlbounds.load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InvalidSourceError(f"{name}: not valid YAML: {exc}") from None
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise InvalidSourceError(f"{name}: expected a mapping with {', '.join(ALLOWED)}")
        unknown = sorted(set(doc) - set(ALLOWED))
        if unknown:
            raise InvalidSourceError(
                f"{name}: only {', '.join(ALLOWED)} may be overridden, not {', '.join(unknown)}"
            )
        raw = merge_patch(raw, doc)
        used.append(name)
    if not used:
        return source
    return parse_source(raw, f"source with {' + '.join(used)}")
