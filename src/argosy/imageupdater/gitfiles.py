"""What a Git write-back changes in the repository's files, pure (text in, text out).

* default target: ``.argocd-source-<app>.yaml`` in the source path, holding the
  same ``helm.parameters`` / ``kustomize.images`` the ``argocd`` method would set
  (the repo server merges it onto the source when rendering);
* ``kustomization[:<path>]``: the ``images:`` of a kustomization, as
  ``kustomize edit set image`` writes them (``name``, ``newName``, ``newTag``, ``digest``);
* ``helmvalues[:<path>]``: the values file's keys named by the Helm target
  (``image.name``/``image.tag`` by default, or ``helm.image-spec``).

Paths are relative to the source path, or to the repository root with a leading ``/``.
YAML is rewritten (comments are not kept).
"""

from __future__ import annotations

import posixpath
from typing import Any

import yaml

from argosy.engine import yamlbounds
from argosy.imageupdater.overrides import Change, apply_to_source, helm_values

Obj = dict[str, Any]
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


class TargetError(ValueError):
    """The write-back target is malformed or its file cannot be edited; the text names it."""


def target_file(target: str, source_path: str, app_file: str) -> tuple[str, str]:
    """(kind, repository file) of a ``write-back-target``: source, kustomization or helmvalues."""
    kind, _, path = (target or "").partition(":")
    kind = kind.strip() or "source"
    if kind not in ("source", "kustomization", "helmvalues"):
        raise TargetError(f"write-back-target {target!r}: use kustomization[:path] or helmvalues[:path]")
    base = source_path.strip("/")
    if kind == "source":
        return kind, posixpath.join(base, app_file) if base else app_file
    if kind == "helmvalues" and not path:
        path = "values.yaml"
    if kind == "kustomization" and not path:
        path = "."
    joined = path.lstrip("/") if path.startswith("/") else posixpath.join(base, path)
    normalized = posixpath.normpath(joined)
    if normalized.startswith("..") or normalized.startswith("/"):
        raise TargetError(f"write-back-target {target!r}: {normalized} is outside the repository")
    return kind, "" if normalized == "." else normalized


def _load(text: str | None, name: str) -> Obj:
    if not text:
        return {}
    try:
        doc = yamlbounds.load(text)
    except yaml.YAMLError as exc:
        raise TargetError(f"{name}: not valid YAML: {exc}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise TargetError(f"{name}: expected a mapping")
    return doc


def _dump(doc: Obj) -> str:
    return yaml.safe_dump(doc, sort_keys=False, default_flow_style=False)


def edit_source_file(text: str | None, name: str, kind: str, changes: list[tuple[Change, str]]) -> str:
    doc = _load(text, name)
    for change, original in changes:
        apply_to_source(doc, kind, change, original)
    return _dump(doc)


def edit_kustomization(text: str | None, name: str, changes: list[tuple[Change, str]]) -> str:
    if text is None:
        raise TargetError(f"{name}: no kustomization file there (write-back-target kustomization)")
    doc = _load(text, name)
    images: list[Obj] = list(doc.get("images") or [])
    for change, original in changes:
        wanted = (change.target.kustomize_name if change.target else None) or original
        entry: Obj = {"name": wanted}
        if change.new.full_name != wanted:
            entry["newName"] = change.new.full_name
        if change.new.tag:
            entry["newTag"] = change.new.tag
        if change.new.digest:
            entry["digest"] = change.new.digest
        images = [i for i in images if i.get("name") != wanted] + [entry]
    doc["images"] = images
    return _dump(doc)


def edit_helm_values(text: str | None, name: str, changes: list[tuple[Change, str]]) -> str:
    doc = _load(text, name)
    for change, _ in changes:
        for key, value in helm_values(change):
            node = doc
            parts = key.split(".")
            for part in parts[:-1]:
                child = node.get(part)
                if child is None:
                    child = node[part] = {}
                if not isinstance(child, dict):
                    raise TargetError(f"{name}: {key}: {part} is not a mapping")
                node = child
            node[parts[-1]] = value
    return _dump(doc)
