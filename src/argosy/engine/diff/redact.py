"""Secret values never leave the diff engine.

Every value under a Secret's ``data``/``stringData`` (and inside the
last-applied annotation, which repeats them) is replaced by a mask of ``+``
signs, as Argo CD does. Per key, equal values get equal masks and different
values get masks of different lengths (8, 12, 16... signs), so a reader can
still see *that* a value changed, and which side matches which, without seeing it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import replace
from typing import Any

from argosy.engine.diff.normalize import normalize_secret
from argosy.engine.diff.objects import LAST_APPLIED_ANNOTATION, group_of
from argosy.engine.diff.result import DiffResult, FieldChange

SECRET_FIELDS = ("data", "stringData")
MASK = "+" * 8
"""What a Secret value looks like wherever Argosy shows it, as Argo CD shows it."""
_FIRST_MASK = MASK


def is_secret(obj: dict[str, Any] | None) -> bool:
    return bool(obj) and isinstance(obj, dict) and obj.get("kind") == "Secret" and group_of(obj) == ""


class Masker:
    """Hands out stable masks per Secret key, in the order values are first seen."""

    def __init__(self) -> None:
        self._masks: dict[str, dict[str, str]] = {}

    def mask(self, key: str, value: Any) -> str:
        text = "" if value is None else value if isinstance(value, str) else json.dumps(value)
        per_key = self._masks.setdefault(key, {})
        if text not in per_key:
            per_key[text] = _FIRST_MASK + "++++" * len(per_key)
        return per_key[text]

    def seed(self, obj: Any) -> None:
        """Register the values of ``obj`` (and of its last-applied annotation)."""
        self.mask_object(copy.deepcopy(obj))

    def mask_object(self, obj: Any) -> Any:
        """``obj`` with every secret value masked (mutates and returns it)."""
        if not isinstance(obj, dict):
            return obj
        for fld in SECRET_FIELDS:
            values = obj.get(fld)
            if isinstance(values, dict):
                obj[fld] = {k: self.mask(str(k), v) for k, v in values.items()}
            elif values is not None and fld in obj:
                obj[fld] = _FIRST_MASK
        meta = obj.get("metadata")
        ann = meta.get("annotations") if isinstance(meta, dict) else None
        if isinstance(ann, dict) and isinstance(ann.get(LAST_APPLIED_ANNOTATION), str):
            ann[LAST_APPLIED_ANNOTATION] = self._mask_last_applied(ann[LAST_APPLIED_ANNOTATION])
        return obj

    def _mask_last_applied(self, raw: str) -> str:
        try:
            parsed = json.loads(raw)
        except ValueError:
            return _FIRST_MASK  # unreadable: it may still hold values, hide it whole
        if not isinstance(parsed, dict):
            return _FIRST_MASK
        normalize_secret(parsed)
        return json.dumps(self.mask_object(parsed), sort_keys=True, separators=(",", ":"))


def _tokens(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]


def _mask_at(masker: Masker, pointer: str, value: Any) -> Any:
    """Mask ``value`` as it sits at ``pointer`` inside a Secret."""
    if value is None:
        return None
    tokens = _tokens(pointer)
    skeleton: dict[str, Any] = {}
    node = skeleton
    for token in tokens[:-1]:
        node = node.setdefault(token, {})
    if not tokens:
        return masker.mask_object(copy.deepcopy(value))
    node[tokens[-1]] = copy.deepcopy(value)
    masker.mask_object(skeleton)
    found: Any = skeleton
    for token in tokens:
        if not isinstance(found, dict) or token not in found:
            return _FIRST_MASK  # a malformed Secret field was masked whole: so is its part
        found = found[token]
    return found


def redact_result(result: DiffResult, last_applied: dict[str, Any] | None = None) -> DiffResult:
    """``result`` with every Secret value masked; non-Secrets are returned as they are."""
    objects = (result.normalized_desired, result.normalized_live, result.predicted_live)
    if not any(is_secret(o) for o in objects):
        return result
    masker = Masker()
    for obj in (result.normalized_desired, result.normalized_live, last_applied):
        if obj is not None:
            masker.seed(obj)
    masked = [masker.mask_object(copy.deepcopy(o)) if o is not None else None for o in objects]
    changes = [
        FieldChange(c.path, _mask_at(masker, c.path, c.desired), _mask_at(masker, c.path, c.live))
        for c in result.changes
    ]
    return replace(
        result,
        changes=changes,
        normalized_desired=masked[0],
        normalized_live=masked[1],
        predicted_live=masked[2],
    )


_DIGEST_PREFIX = "sha256:"


def _digest(value: Any) -> Any:
    """The digest of one ``data`` value; a value that already is a digest stays as it is.

    Idempotent because hashed objects reach the comparison from several caches (the
    live cache, the server-side dry-run cache) and hashing a digest again made a
    synced Secret look changed. A real ``data`` value is base64, whose alphabet has
    no ``:``, so it can never be mistaken for a digest.
    """
    if value is None:
        return value
    text = str(value)
    if text.startswith(_DIGEST_PREFIX):
        return text
    return _DIGEST_PREFIX + hashlib.sha256(text.encode()).hexdigest()


def hash_secret_values(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of a Secret whose values are SHA-256 digests, for caches that must
    not keep secrets in clear; diffing two hashed Secrets still finds changes.
    Hashing an already hashed Secret changes nothing."""
    if not is_secret(obj):
        return obj
    out = copy.deepcopy(obj)
    normalize_secret(out)
    data = out.get("data")
    if isinstance(data, dict):
        out["data"] = {k: _digest(v) for k, v in data.items()}
    meta = out.get("metadata")
    ann = meta.get("annotations") if isinstance(meta, dict) else None
    if isinstance(ann, dict) and isinstance(ann.get(LAST_APPLIED_ANNOTATION), str):
        try:
            applied = json.loads(ann[LAST_APPLIED_ANNOTATION])
        except ValueError:
            applied = None
        if isinstance(applied, dict):
            ann[LAST_APPLIED_ANNOTATION] = json.dumps(hash_secret_values(applied), sort_keys=True)
        else:
            del ann[LAST_APPLIED_ANNOTATION]
    return out


def mask_secret(obj: dict[str, Any] | None) -> dict[str, Any] | None:
    """A copy of ``obj`` with every Secret value replaced by :data:`MASK` (other kinds unchanged).

    For a Secret shown on its own (manifests, live state): no per-key masks to compare
    with, and the last-applied annotation, which repeats the values, is left out.
    """
    if not isinstance(obj, dict) or obj.get("kind") != "Secret":
        return obj
    out = copy.deepcopy(obj)
    for key in SECRET_FIELDS:
        if isinstance(out.get(key), dict):
            out[key] = {k: MASK for k in out[key]}
    annotations = (out.get("metadata") or {}).get("annotations") or {}
    annotations.pop(LAST_APPLIED_ANNOTATION, None)
    return out
