"""What the API server checks against a structural schema, for tests without a cluster.

Types (with int-or-string), ``required``, and unknown fields: in an object
that declares its properties and does not preserve unknown fields, an
undeclared field is refused by ``kubectl apply`` (strict field validation)
and pruned otherwise. ``metadata`` (a bare ``object``) is the API server's.
"""

from __future__ import annotations

from typing import Any

PRESERVE = "x-kubernetes-preserve-unknown-fields"
_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "integer": int,
    "number": (int, float),
}


def problems(schema: dict[str, Any], value: Any, path: str) -> list[str]:
    """Every reason the API server would refuse or change ``value`` at ``path``."""
    out: list[str] = []
    _check(schema, value, path, out)
    return out


def _check(schema: dict[str, Any], value: Any, path: str, out: list[str]) -> None:
    if schema.get("x-kubernetes-int-or-string"):
        if not isinstance(value, int | str) or isinstance(value, bool):
            out.append(f"{path}: not an integer or string")
        return
    if "type" not in schema:
        if not schema.get(PRESERVE):
            out.append(f"{path}: schema has no type")
        return
    expected = _TYPES[schema["type"]]
    if not isinstance(value, expected) or (isinstance(value, bool) and schema["type"] != "boolean"):
        out.append(f"{path}: not {schema['type']}")
        return
    if isinstance(value, dict):
        out.extend(f"{path}.{r} missing" for r in schema.get("required", []) if r not in value)
        properties = schema.get("properties")
        for name, item in value.items():
            if properties is not None and name in properties:
                _check(properties[name], item, f"{path}.{name}", out)
            elif "additionalProperties" in schema:
                _check(schema["additionalProperties"], item, f"{path}.{name}", out)
            elif properties is not None and not schema.get(PRESERVE):
                out.append(f"{path}.{name}: unknown field")
    if isinstance(value, list):
        for i, item in enumerate(value):
            _check(schema["items"], item, f"{path}[{i}]", out)
