"""JSON merge patch (RFC 7386): objects merge key by key, ``null`` removes, anything else replaces.

Used by ``PATCH /api/v1/applications`` (``patchType: merge``) and by
ApplicationSets (``templatePatch``, and writes that keep ignored fields).
"""

from __future__ import annotations

import copy
from typing import Any


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Apply ``patch`` to ``target`` in place and return it; lists are replaced whole."""
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif isinstance(value, dict) and isinstance(target.get(key), dict):
            target[key] = merge_patch(target[key], value)
        elif isinstance(value, dict):
            target[key] = merge_patch({}, value)
        else:
            target[key] = copy.deepcopy(value)
    return target


def merge_patch_between(original: Any, modified: Any) -> Any:
    """The merge patch that turns ``original`` into ``modified`` (None when they are equal)."""
    if not isinstance(original, dict) or not isinstance(modified, dict):
        return None if original == modified else copy.deepcopy(modified)
    patch: dict[str, Any] = {}
    for key in original:
        if key not in modified:
            patch[key] = None
    for key, value in modified.items():
        if key not in original:
            patch[key] = copy.deepcopy(value)
        elif original[key] != value:
            sub = merge_patch_between(original[key], value)
            patch[key] = sub if sub is not None or value is None else value
    return patch or None
