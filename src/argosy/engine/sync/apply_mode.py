"""How each object is written to the cluster, and why.

By default objects are applied as ``kubectl apply`` does (client-side apply):
the whole object is stored in the ``kubectl.kubernetes.io/last-applied-configuration``
annotation so the next apply can tell which fields it owns. Kubernetes caps
all annotations of an object at 262144 bytes, so a big object, typically a CRD
with a long OpenAPI schema, cannot be applied that way. Argo CD then fails
the sync and asks the user to add ``ServerSideApply=true`` or ``Replace=true``;
Argosy switches such an object to server-side apply by itself and records
why in the task, so the sync result says what happened.

Precedence: ``Replace=true`` (replace or create) over ``ServerSideApply=true``
over the size rule over the default. ``ServerSideApply=false`` on an object is
honoured even when it is too big, with a warning that the apply will fail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from argosy.engine.keys import ResourceKey
from argosy.engine.sync.common import (
    ANNOTATION_LAST_APPLIED,
    ANNOTATION_SYNC_OPTIONS,
    Problem,
    annotation_field,
    annotations_of,
    is_crd,
    is_namespace,
    warning,
)
from argosy.engine.sync.options import ResolvedOptions

ANNOTATIONS_SIZE_LIMIT: Final = 262144
"""Kubernetes' limit on the total size of an object's annotations (keys + values), in bytes."""


class ApplyMode(StrEnum):
    CLIENT_SIDE = "client-side"
    SERVER_SIDE = "server-side"
    REPLACE = "replace"


@dataclass(frozen=True)
class ApplyChoice:
    mode: ApplyMode
    reason: str
    update_in_place: bool = False
    """Replace of a live CRD or Namespace: PUT with the live resourceVersion, never
    delete-and-recreate, which would delete every custom resource or namespaced object."""


def annotations_size_with_last_applied(obj: Mapping[str, Any]) -> int:
    """Bytes the object's annotations would take after a client-side apply."""
    size = len(ANNOTATION_LAST_APPLIED) + len(last_applied_configuration(obj).encode())
    for name, value in annotations_of(obj).items():
        if name != ANNOTATION_LAST_APPLIED:
            size += len(str(name).encode()) + len(str(value).encode())
    return size


def last_applied_configuration(obj: Mapping[str, Any]) -> str:
    """The annotation's value byte for byte as ``kubectl apply`` writes it.

    kubectl drops its own annotation, sets the (possibly empty) annotation map
    back, and encodes with Go's ``encoding/json``: compact, map keys sorted,
    ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, integral numbers without a
    fraction, and a trailing newline. Byte-exact matters: Argosy creates new
    objects itself (no ``kubectl`` process) and the next ``kubectl apply`` —
    Argosy's or a user's — must compute the same three-way merge either way.
    """
    stripped = dict(obj)
    meta = dict(stripped.get("metadata") or {})
    meta["annotations"] = {
        k: v for k, v in (meta.get("annotations") or {}).items() if k != ANNOTATION_LAST_APPLIED
    }
    stripped["metadata"] = meta
    text = json.dumps(_go_numbers(stripped), separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    for char, escaped in _GO_ESCAPES:
        text = text.replace(char, escaped)
    return text + "\n"


_GO_ESCAPES: Final = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _go_numbers(value: Any) -> Any:
    """Integral floats as integers (Go decodes ``1.0`` into an int64 in unstructured objects)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {k: _go_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_go_numbers(v) for v in value]
    return value


def with_last_applied(obj: Mapping[str, Any]) -> dict[str, Any]:
    """``obj`` carrying the last-applied annotation, as ``kubectl apply`` creates it (numbers
    as Go decodes them: ``80.0`` is the integer ``80``, which an int32 field accepts)."""
    out: dict[str, Any] = _go_numbers(dict(obj))
    meta = dict(out.get("metadata") or {})
    annotations = dict(meta.get("annotations") or {})
    annotations[ANNOTATION_LAST_APPLIED] = last_applied_configuration(obj)
    meta["annotations"] = annotations
    out["metadata"] = meta
    return out


def last_applied_unchanged(obj: Mapping[str, Any], live: Mapping[str, Any]) -> bool:
    """Whether ``live`` carries the last-applied annotation applying ``obj`` would write: then a
    client-side apply of ``obj`` removes nothing, and the manifest itself is the patch
    (:meth:`argosy.kube.apply.ClusterOps.reapply_client_side`)."""
    recorded = annotations_of(live).get(ANNOTATION_LAST_APPLIED)
    return isinstance(recorded, str) and recorded == last_applied_configuration(obj)


def choose_apply_mode(
    obj: Mapping[str, Any], options: ResolvedOptions, *, exists: bool
) -> tuple[ApplyChoice, list[Problem]]:
    """The apply mode for one object, the reason to record, and any warning."""
    if options.replace:
        if exists and (is_crd(obj) or is_namespace(obj)):
            return (
                ApplyChoice(
                    ApplyMode.REPLACE,
                    "Replace=true; a live CustomResourceDefinition or Namespace is updated in place, "
                    "since deleting it would delete everything it holds",
                    update_in_place=True,
                ),
                [],
            )
        return ApplyChoice(ApplyMode.REPLACE, "Replace=true"), []
    if options.server_side_apply:
        return ApplyChoice(ApplyMode.SERVER_SIDE, "ServerSideApply=true"), []
    size = annotations_size_with_last_applied(obj)
    too_big = size > ANNOTATIONS_SIZE_LIMIT
    if options.server_side_apply is False:
        problems: list[Problem] = []
        if too_big:
            problems.append(
                warning(
                    ResourceKey.of(obj),
                    annotation_field(ANNOTATION_SYNC_OPTIONS),
                    f"ServerSideApply=false, but client-side apply needs {size} bytes of annotations "
                    f"(limit {ANNOTATIONS_SIZE_LIMIT}) and will be rejected; remove ServerSideApply=false "
                    "or use Replace=true",
                )
            )
        return ApplyChoice(ApplyMode.CLIENT_SIDE, "ServerSideApply=false on the object"), problems
    if too_big:
        return (
            ApplyChoice(
                ApplyMode.SERVER_SIDE,
                f"server-side apply chosen automatically: client-side apply would store {size} bytes "
                f"in annotations ({ANNOTATION_LAST_APPLIED}), over Kubernetes' limit of "
                f"{ANNOTATIONS_SIZE_LIMIT} bytes",
            ),
            [],
        )
    return ApplyChoice(ApplyMode.CLIENT_SIDE, "default (kubectl apply semantics)"), []
