"""OpenAPI v3 schemas for the CRDs, generated from the views.

The views are the one description of the resources' shape: the same field
types that decode an object (``View.from_dict``) become the structural schema
the API server validates with, and the field docstrings become the
descriptions ``kubectl explain application.spec.source`` prints. So a field
the views read is a field the API server admits, and a typo such as
``spec.source.targetRevison`` is refused by ``kubectl apply`` with the field
named, as with Argo CD's own CRDs.

Mapping (``X | None`` is X, optional):

* ``str``/``int``/``float``/``bool`` -> ``string``/``integer``/``number``/``boolean``;
* ``list[X]`` -> ``array`` of X; ``dict[str, X]`` -> ``object`` with X values;
* ``int | str`` -> ``x-kubernetes-int-or-string``;
* ``Any`` (and ``dict[str, Any]``) -> ``x-kubernetes-preserve-unknown-fields``,
  for the free-form parts Argo CD leaves open (Helm ``valuesObject``, list
  generator elements, nested matrix/merge generators);
* a view -> ``object`` with its fields as properties, ``required`` from its
  ``_required``; below a view with ``_preserve_unknown`` every object keeps
  undeclared fields and nothing is required (``status``);
* ``ObjectMeta`` -> ``object``: the API server owns ``metadata``'s schema;
* a view with ``_untyped_in_crd`` -> ``object`` keeping every field (a
  generator's template override: checked when its Applications are written).

Below an ApplicationSet template (a view with ``_shape_only``) descriptions
are left out: they are the Application's, documented by ``kubectl explain
application.spec``. Argo CD's schema repeats the template for every generator
kind (23 times); Argosy types it once, in ``spec.template``, and leaves the
generators' overrides untyped: ~300 KB of the group's 690 KB OpenAPI document
were those copies, and kubectl parses that document once per object it
applies (75 ms per Application).
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import sys
import typing
from typing import Any

from argosy.model.base import View, is_int_or_string, union_members, view_fields, view_hints
from argosy.model.meta import ObjectMeta

Schema = dict[str, Any]

PRESERVE = "x-kubernetes-preserve-unknown-fields"

_SCALARS: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}


def openapi_schema(view: type[View]) -> Schema:
    """The ``openAPIV3Schema`` of a resource whose root view is ``view``."""
    root = _object(view, _Mode(), stack=())
    doc = _class_doc(view)
    return {"description": doc, **root} if doc else root


@dataclasses.dataclass(frozen=True)
class _Mode:
    """What the views above the one being generated ask of it."""

    open: bool = False
    """Keep undeclared fields, require nothing (below ``_preserve_unknown``)."""
    described: bool = True
    """Write descriptions (not below a template)."""

    def below(self, view: type[View]) -> _Mode:
        return _Mode(self.open or view._preserve_unknown, self.described and not view._shape_only)


def _object(view: type[View], mode: _Mode, stack: tuple[type[View], ...]) -> Schema:
    if view in stack:
        raise TypeError(f"view {view.__name__} contains itself; a CRD schema cannot be recursive")
    if issubclass(view, ObjectMeta):
        return {"type": "object"}
    if view._untyped_in_crd:
        return {"type": "object", PRESERVE: True}
    mode = mode.below(view)
    docs = field_docs(view) if mode.described else {}
    hints = view_hints(view)
    properties: dict[str, Schema] = {}
    for f in view_fields(view):
        prop = _schema(hints[f.name], mode, (*stack, view))
        doc = docs.get(f.name) or (_class_doc(_view_of(hints[f.name])) if mode.described else "")
        if doc:
            prop = {"description": doc, **prop}
        properties[view._json_key(f.name)] = prop
    out: Schema = {"type": "object", "properties": properties}
    if mode.open:
        out[PRESERVE] = True
    elif view._required:
        out["required"] = [view._json_key(name) for name in view._required]
    return out


def _schema(tp: Any, mode: _Mode, stack: tuple[type[View], ...]) -> Schema:
    members = union_members(tp)
    if members is not None:
        if is_int_or_string(members):
            return {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}
        if len(members) != 1:
            raise TypeError(f"no schema for the union {tp!r}")
        tp = members[0]
    if tp is Any:
        return {PRESERVE: True}
    if tp in _SCALARS:
        return {"type": _SCALARS[tp]}
    origin = typing.get_origin(tp)
    if origin is list:
        (item,) = typing.get_args(tp)
        return {"type": "array", "items": _schema(item, mode, stack)}
    if origin is dict:
        _, value = typing.get_args(tp)
        if value is Any:
            return {"type": "object", PRESERVE: True}
        return {"type": "object", "additionalProperties": _schema(value, mode, stack)}
    if isinstance(tp, type) and issubclass(tp, View):
        return _object(tp, mode, stack)
    raise TypeError(f"no schema for the view field type {tp!r}")


def _view_of(tp: Any) -> type[View] | None:
    """The view a field holds (directly, optionally or as list items), for its class docstring."""
    members = union_members(tp)
    if members is not None and len(members) == 1:
        tp = members[0]
    if typing.get_origin(tp) is list:
        (tp,) = typing.get_args(tp)
    return tp if isinstance(tp, type) and issubclass(tp, View) else None


def _class_doc(view: type[View] | None) -> str:
    if view is None or issubclass(view, ObjectMeta):
        return ""  # metadata is the API server's, described by it
    if view.__doc__ is None or view.__doc__.startswith(f"{view.__name__}("):
        return ""  # dataclass's generated signature is not documentation
    return describe(view.__doc__)


def describe(doc: str) -> str:
    """A docstring as an API description: dedented, with reST literals as plain backticks."""
    return inspect.cleandoc(doc).replace("``", "`")


def field_docs(view: type[View]) -> dict[str, str]:
    """Field name -> docstring (the string literal under the field), own fields over inherited."""
    docs: dict[str, str] = {}
    for klass in reversed(view.__mro__):
        if isinstance(klass, type) and issubclass(klass, View) and klass is not View:
            docs.update(_module_docs(klass.__module__).get(klass.__qualname__, {}))
    return docs


@functools.cache
def _module_docs(module: str) -> dict[str, dict[str, str]]:
    """Docstrings of the fields of every class of a module, read once from its source."""
    try:
        tree = ast.parse(inspect.getsource(sys.modules[module]))
    except (OSError, TypeError):  # no source installed: schemas without field descriptions
        return {}
    out: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            out[node.name] = _class_field_docs(node)
    return out


def _class_field_docs(node: ast.ClassDef) -> dict[str, str]:
    docs: dict[str, str] = {}
    for stmt, after in zip(node.body, node.body[1:], strict=False):
        if (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            docs[stmt.target.id] = describe(after.value.value)
    return docs
