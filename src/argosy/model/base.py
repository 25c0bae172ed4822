"""Tolerant typed views over Kubernetes JSON objects.

Argosy reads objects that people wrote for Argo CD, sometimes for a newer
Argo CD than ours, sometimes wrong. A view must therefore:

* never raise on bad input: a field of the wrong type keeps its default and
  adds an error naming the field path (``spec.sources[1].repoURL is required``),
  so one bad Application becomes a condition, not a crashed controller;
* give back exactly what it was given: ``to_dict()`` starts from the input, so
  fields we do not model (and values we could not read) survive unchanged, and
  only the fields a caller changed are rewritten.

A view is a dataclass whose fields all have defaults. The JSON key of a field
is its camelCase name unless ``_json_keys`` says otherwise, and the field's
type annotation drives decoding (``str``, ``int``, ``float``, ``bool``,
``Any``, ``list[...]``, ``dict[str, ...]``, another view, ``int | str`` for
Kubernetes' int-or-string, or ``X | None`` for fields whose presence matters,
such as ``syncPolicy.automated``). The same annotations, with the field
docstrings, generate the CRDs' OpenAPI schemas (:mod:`argosy.model.schema`),
so what a view reads and what the API server admits cannot drift apart.
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from typing import Any, ClassVar, Self

_JSON_TYPE_NAMES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    dict: "object",
    list: "array",
    type(None): "null",
}


def json_type_name(value: Any) -> str:
    """The JSON word for a value's type, as a YAML author would understand it."""
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclasses.dataclass
class View:
    """Base of every typed view; see the module docstring for the contract."""

    _json_keys: ClassVar[dict[str, str]] = {}
    """Python field name -> JSON key, where camelCase of the name is not the key."""
    _required: ClassVar[tuple[str, ...]] = ()
    """Python field names that must be present (and, for strings, non-empty)."""
    _always: ClassVar[tuple[str, ...]] = ()
    """Fields written even at their default when the view was built in code (apiVersion, kind)."""
    _shape_only: ClassVar[bool] = False
    """Below this view only types and presence are checked, not meaning: an ApplicationSet's
    template holds generator parameters (``{{.path}}``) and partial overrides, and becomes a
    meaningful Application only once they are substituted."""
    _preserve_unknown: ClassVar[bool] = False
    """The CRD schema keeps fields this view and the views below it do not declare, and requires
    none of them (``status``: written by Argosy's controller with more than Argo CD records, and
    maybe by a newer Argo CD before a migration; losing any of it would be silent)."""

    _untyped_in_crd: ClassVar[bool] = False
    """The CRD schema leaves this object untyped (``x-kubernetes-preserve-unknown-fields``, no
    properties) although the view still decodes and checks it: for a large view repeated many
    times where the schema's size costs every client (a generator's template override, 23 copies
    of an Application template). kubectl parses the group's whole OpenAPI document once per
    object it applies, so every Application applied paid for them."""

    _raw: dict[str, Any] = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)
    _kept: dict[str, Any] = dataclasses.field(default_factory=dict, init=False, repr=False, compare=False)
    _parsed: bool = dataclasses.field(default=False, init=False, repr=False, compare=False)
    errors: list[str] = dataclasses.field(default_factory=list, init=False, repr=False, compare=False)
    """Problems found while reading this view and everything below it, each naming its field path."""

    @classmethod
    def from_dict(
        cls, data: Any, path: str = "", errors: list[str] | None = None, *, shape_only: bool = False
    ) -> Self:
        """Read ``data`` without ever raising; problems go to ``errors`` (and ``self.errors``).

        ``shape_only`` checks types and presence but not meaning (see ``_shape_only``).
        """
        sink: list[str] = errors if errors is not None else []
        start = len(sink)
        shape_only = shape_only or cls._shape_only
        if not isinstance(data, dict):
            sink.append(f"{path or cls.__name__}: expected object, got {json_type_name(data)}")
            obj = cls()
            obj.errors = sink[start:]
            return obj
        kwargs: dict[str, Any] = {}
        kept: dict[str, Any] = {}
        for f in view_fields(cls):
            key = cls._json_key(f.name)
            fpath = join_path(path, key)
            if key not in data:
                if f.name in cls._required:
                    sink.append(f"{fpath} is required")
                continue
            value, exact = _decode(view_hints(cls)[f.name], data[key], fpath, sink, shape_only)
            if value is _INVALID:
                kept[key] = _encode(_default(f))
                continue
            kwargs[f.name] = value
            if not exact:
                kept[key] = _encode(value)
            if f.name in cls._required and value == "" and not shape_only:
                sink.append(f"{fpath} is required")
        obj = cls(**kwargs)
        obj._raw = dict(data)
        obj._kept = kept
        obj._parsed = True
        if not shape_only:
            obj._check(path, sink)
        obj.errors = sink[start:]
        return obj

    def _check(self, path: str, errors: list[str]) -> None:
        """Cross-field rules a subclass adds (``name`` or ``server``, not both)."""

    @classmethod
    def _json_key(cls, name: str) -> str:
        return cls._json_keys.get(name) or _camel(name)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: the input with this view's fields written over it."""
        known = {self._json_key(f.name): f for f in view_fields(type(self))}
        out: dict[str, Any] = {}
        for key, value in self._raw.items():
            out[key] = value if key in known else copy.deepcopy(value)
        for key, f in known.items():
            value = getattr(self, f.name)
            encoded = _encode(value)
            if key in self._kept and encoded == self._kept[key]:
                out[key] = copy.deepcopy(self._raw[key])
                continue
            if value is None:
                if key in out and out[key] is not None:
                    del out[key]
                continue
            if key not in self._raw:
                emit_default = f.name in self._always and not self._parsed
                if not emit_default and encoded == _encode(_default(f)):
                    continue
            out[key] = encoded
        return out


class _Invalid:
    """Marker for a value that could not be read at all."""


_INVALID: Any = _Invalid()


_FIELDS: dict[type, tuple[dataclasses.Field[Any], ...]] = {}
_HINTS: dict[type, dict[str, Any]] = {}


def view_fields(cls: type[View]) -> tuple[dataclasses.Field[Any], ...]:
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(f for f in dataclasses.fields(cls) if f.init)
    return found


def view_hints(cls: type[View]) -> dict[str, Any]:
    found = _HINTS.get(cls)
    if found is None:
        found = _HINTS[cls] = typing.get_type_hints(cls)
    return found


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _encode(value: Any) -> Any:
    if isinstance(value, View):
        return value.to_dict()
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def _expect(expected: str, value: Any, path: str, errors: list[str]) -> tuple[Any, bool]:
    errors.append(f"{path}: expected {expected}, got {json_type_name(value)}")
    return _INVALID, False


def union_members(tp: Any) -> tuple[Any, ...] | None:
    """The members of ``X | Y`` other than None, or None when ``tp`` is not a union."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    return tuple(a for a in typing.get_args(tp) if a is not type(None))


def is_int_or_string(members: tuple[Any, ...]) -> bool:
    """Kubernetes' int-or-string (``replicas[].count``, ``maxUpdate``), written ``int | str``."""
    return set(members) == {int, str}


def _decode(tp: Any, value: Any, path: str, errors: list[str], shape_only: bool = False) -> tuple[Any, bool]:
    """Decode ``value`` as ``tp``: (decoded, exact) or (_INVALID, False).

    ``exact`` is False when the decoded value does not carry all of the input
    (a list with unreadable items dropped), so ``to_dict`` keeps the input.
    """
    members = union_members(tp)
    if members is not None:
        if value is None:
            return None, True
        if is_int_or_string(members):
            if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
                return value, True
            return _expect("integer or string", value, path, errors)
        return _decode(members[0], value, path, errors, shape_only)
    if value is None and tp is not Any:
        # Kubernetes treats an explicit null as absent; keep the null on output.
        return _INVALID, False
    if tp is Any:
        return copy.deepcopy(value), True
    origin = typing.get_origin(tp)
    if origin is list:
        if not isinstance(value, list):
            return _expect("array", value, path, errors)
        (item_tp,) = typing.get_args(tp)
        items: list[Any] = []
        exact = True
        for i, item in enumerate(value):
            decoded, ok = _decode(item_tp, item, f"{path}[{i}]", errors, shape_only)
            exact = exact and ok
            if decoded is not _INVALID:
                items.append(decoded)
        return items, exact
    if origin is dict:
        if not isinstance(value, dict):
            return _expect("object", value, path, errors)
        _, val_tp = typing.get_args(tp)
        out: dict[str, Any] = {}
        exact = True
        for k, v in value.items():
            decoded, ok = _decode(val_tp, v, join_path(path, str(k)), errors, shape_only)
            exact = exact and ok
            if decoded is not _INVALID:
                out[str(k)] = decoded
        return out, exact
    if isinstance(tp, type) and issubclass(tp, View):
        if not isinstance(value, dict):
            return _expect("object", value, path, errors)
        return tp.from_dict(value, path, errors, shape_only=shape_only), True
    if tp is bool:
        return (value, True) if isinstance(value, bool) else _expect("boolean", value, path, errors)
    if tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value, True
        return _expect("integer", value, path, errors)
    if tp is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value, True
        return _expect("number", value, path, errors)
    if tp is str:
        return (value, True) if isinstance(value, str) else _expect("string", value, path, errors)
    raise TypeError(f"unsupported view field type {tp!r} at {path}")  # a bug in a view, not in input
