"""Typed reads from an unstructured object, failing like Argo CD's typed conversion.

Argo CD converts a live object to its Go type before judging it; a field of the
wrong type (``replicas: "3"``) makes that conversion fail and the object's
health Unknown. These helpers give the same outcome with a message that names
the field, instead of a Python exception.
"""

from __future__ import annotations

from typing import Any


class ConversionError(ValueError):
    """A field does not have the type Kubernetes defines for it."""


class RuleError(ValueError):
    """A rule cannot judge the object; the message is shown to the user as is."""


def _walk(obj: dict[str, Any], path: tuple[str, ...]) -> Any:
    cur: Any = obj
    for i, key in enumerate(path):
        if cur is None:
            return None
        if not isinstance(cur, dict):
            raise ConversionError(f"field {'.'.join(path[:i])} must be an object, got {type(cur).__name__}")
        cur = cur.get(key)
    return cur


def get_int(obj: dict[str, Any], *path: str, default: int = 0) -> int:
    """An integer field; absent or null gives ``default``."""
    value = _walk(obj, path)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
        raise ConversionError(f"field {'.'.join(path)} must be an integer, got {value!r}")
    return int(value)


def get_opt_int(obj: dict[str, Any], *path: str) -> int | None:
    """An optional integer field (a pointer in the Go types): None when absent."""
    if _walk(obj, path) is None:
        return None
    return get_int(obj, *path)


def get_str(obj: dict[str, Any], *path: str) -> str:
    """A string field; absent or null gives ``""``."""
    value = _walk(obj, path)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ConversionError(f"field {'.'.join(path)} must be a string, got {value!r}")
    return value


def get_bool(obj: dict[str, Any], *path: str) -> bool:
    """A boolean field; absent or null gives False."""
    value = _walk(obj, path)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise ConversionError(f"field {'.'.join(path)} must be a boolean, got {value!r}")
    return value


def get_map(obj: dict[str, Any], *path: str) -> dict[str, Any]:
    """An object field; absent or null gives ``{}``."""
    value = _walk(obj, path)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConversionError(f"field {'.'.join(path)} must be an object, got {type(value).__name__}")
    return value


def get_list(obj: dict[str, Any], *path: str) -> list[Any]:
    """A list field; absent or null gives ``[]``."""
    value = _walk(obj, path)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConversionError(f"field {'.'.join(path)} must be a list, got {type(value).__name__}")
    return value


def get_maps(obj: dict[str, Any], *path: str) -> list[dict[str, Any]]:
    """A list of objects (conditions, container statuses)."""
    items = get_list(obj, *path)
    for item in items:
        if not isinstance(item, dict):
            raise ConversionError(f"field {'.'.join(path)} must hold objects, got {item!r}")
    return items


def find_condition(obj: dict[str, Any], cond_type: str) -> dict[str, Any] | None:
    """The first ``status.conditions`` entry of a type, as Argo CD's getCondition helpers."""
    for cond in get_maps(obj, "status", "conditions"):
        if cond.get("type") == cond_type:
            return cond
    return None


def api_group_version(obj: dict[str, Any]) -> tuple[str, str]:
    """``(group, version)`` of an object's apiVersion (``v1`` is the core group)."""
    api_version = obj.get("apiVersion")
    if not isinstance(api_version, str):
        return "", ""
    group, _, version = api_version.rpartition("/")
    return group, version


def gvk_string(obj: dict[str, Any]) -> str:
    """The GroupVersionKind as Go prints it, for "unsupported GVK" messages."""
    group, version = api_group_version(obj)
    return f"{group}/{version}, Kind={obj.get('kind', '')}"
