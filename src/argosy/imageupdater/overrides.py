"""The ``argocd`` write-back: a new tag becomes a parameter override of the Application's source.

Pure: from an Application and the changes of a cycle to the new source(s).

* A **Helm** source gets parameters (force-string, as upstream): with
  ``helm.image-spec`` one parameter holding ``name:tag``; otherwise
  ``helm.image-name`` (default ``image.name``) = the image name and
  ``helm.image-tag`` (default ``image.tag``) = the tag (``tag@sha256:…`` with
  the digest strategy).
* A **Kustomize** source gets an image override ``<kustomize.image-name or
  image>=<image>:<tag>`` in ``kustomize.images``.
* A **multi-source** Application: the change goes to the first source of the
  kind its target asks for (Helm for ``helm.*`` targets, Kustomize for
  ``kustomize.image-name``), else the first Helm or Kustomize source.
* A plain **Directory** source (which Argo CD cannot override) gets the
  Application annotation ``argosy.io/image-overrides`` (Kustomize image syntax),
  which the repo server applies to the rendered workloads (:mod:`argosy.repo.imageoverrides`).

The same edits, serialized, are what the Git write-back commits in
``.argocd-source-<app>.yaml`` (:mod:`argosy.imageupdater.gitfiles`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from argosy.engine.source_overrides import set_helm_parameter, set_kustomize_image
from argosy.imageupdater.config import DEFAULT_HELM_NAME, DEFAULT_HELM_TAG, ManifestTarget
from argosy.imageupdater.reference import ImageRef
from argosy.repo.imageoverrides import ANNOTATION as OVERRIDES_ANNOTATION
from argosy.repo.imageoverrides import parse as parse_overrides

Obj = dict[str, Any]
HELM, KUSTOMIZE, DIRECTORY = "Helm", "Kustomize", "Directory"


class WriteBackError(ValueError):
    """The change cannot be written to this Application; the text says why and what to do."""


@dataclass(frozen=True)
class Change:
    """One image moving to a new tag."""

    alias: str
    new: ImageRef  # registry/name of the image-list entry, with the new tag (and digest)
    old_tag: str
    target: ManifestTarget | None = None

    @property
    def tag_text(self) -> str:
        return self.new.tag_with_digest


def sources_of(app: Obj) -> list[Obj]:
    spec = app.get("spec") or {}
    if spec.get("sources"):
        return list(spec["sources"])
    return [spec["source"]] if spec.get("source") else []


def source_kind(app: Obj, index: int) -> str:
    """Helm, Kustomize, Directory (or Plugin): the status the controller wrote, else the spec's hints."""
    status = app.get("status") or {}
    types = status.get("sourceTypes") or ([status["sourceType"]] if status.get("sourceType") else [])
    src = sources_of(app)[index]
    if src.get("chart") or src.get("helm"):
        return HELM
    if src.get("kustomize"):
        return KUSTOMIZE
    if index < len(types) and types[index]:
        return str(types[index])
    return DIRECTORY


def pick_source(app: Obj, change: Change) -> int:
    """Index of the source a change is written to (see the module docstring)."""
    sources = sources_of(app)
    if not sources:
        raise WriteBackError("the Application has no source")
    rendering = [i for i, s in enumerate(sources) if s.get("path") or s.get("chart") or not s.get("ref")]
    kinds = {i: source_kind(app, i) for i in rendering}
    target = change.target
    wanted = (
        (HELM,) if target and target.is_helm else (KUSTOMIZE,) if target and target.kustomize_name else ()
    )
    for i in rendering:
        if kinds[i] in (wanted or (HELM, KUSTOMIZE)):
            return i
    for i in rendering:
        if not wanted and kinds[i] == DIRECTORY:
            return i
    found = ", ".join(f"{i}: {k}" for i, k in kinds.items()) or "none"
    raise WriteBackError(
        f"no {' or '.join(wanted or (HELM, KUSTOMIZE))} source to set image {change.new.full_name} on "
        f"(sources: {found}); use write-back-method git with a helmvalues: or kustomization target"
    )


def helm_values(change: Change) -> list[tuple[str, str]]:
    """(parameter, value) pairs a change sets on a Helm source."""
    target = change.target or ManifestTarget()
    if target.helm_spec:
        return [(target.helm_spec, change.new.full_name_with_tag)]
    return [
        (target.helm_name or DEFAULT_HELM_NAME, change.new.full_name),
        (target.helm_tag or DEFAULT_HELM_TAG, change.tag_text),
    ]


def kustomize_image(change: Change, original: str) -> str:
    """``<name>=<image>:<tag>``; ``original`` is the image as the manifests name it."""
    name = (change.target.kustomize_name if change.target else None) or original
    value = change.new.full_name_with_tag
    return value if name == change.new.full_name else f"{name}={value}"


def apply_to_source(source: Obj, kind: str, change: Change, original: str) -> bool:
    """Edit ``source`` in place; True when it changed."""
    if kind == HELM:
        helm = source.setdefault("helm", {})
        changed = False
        for name, value in helm_values(change):
            changed = set_helm_parameter(helm, name, value, force_string=True) or changed
        return changed
    if kind == KUSTOMIZE:
        kustomize = source.setdefault("kustomize", {})
        before = list(kustomize.get("images") or [])
        after = set_kustomize_image(before, kustomize_image(change, original))
        kustomize["images"] = after
        return after != before
    raise WriteBackError(f"cannot set parameters on a {kind} source")


def directory_overrides(current: str | None, changes: list[tuple[Change, str]]) -> str:
    """The ``argosy.io/image-overrides`` annotation with the changes (Kustomize image syntax)."""
    images = parse_overrides(current)
    for change, original in changes:
        images = set_kustomize_image(images, kustomize_image(change, original))
    return ",".join(images)


def apply_changes(app: Obj, changes: list[tuple[Change, str]]) -> tuple[Obj, dict[str, str], bool]:
    """A copy of ``app.spec`` with every (change, original image name) applied, the annotations to set
    (``argosy.io/image-overrides`` for Directory sources), and whether anything changed."""
    spec = copy.deepcopy(app.get("spec") or {})
    sources = spec["sources"] if spec.get("sources") else [spec.get("source") or {}]
    changed = False
    directory: list[tuple[Change, str]] = []
    for change, original in changes:
        index = pick_source(app, change)
        kind = source_kind(app, index)
        if kind == DIRECTORY:
            directory.append((change, original))
            continue
        changed = apply_to_source(sources[index], kind, change, original) or changed
    annotations: dict[str, str] = {}
    if directory:
        current = ((app.get("metadata") or {}).get("annotations") or {}).get(OVERRIDES_ANNOTATION)
        value = directory_overrides(current, directory)
        if value != (current or ""):
            annotations[OVERRIDES_ANNOTATION] = value
            changed = True
    return spec, annotations, changed
