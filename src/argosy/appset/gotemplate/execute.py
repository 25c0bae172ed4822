"""Executing a parsed Go template against JSON-like data (dicts, lists, strings, numbers).

Go's semantics that users see are kept: a missing map key prints
``<no value>`` (or fails with ``missingkey=error``), a field of a string is an
error, ``if`` uses Go's truth (empty string, 0, empty list/map and nil are
false), and values print as Go's ``fmt`` prints them (``[a b]``,
``map[k:v]``, ``5`` for the float 5.0).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from argosy.appset.gotemplate.parse import (
    Action,
    Branch,
    Chain,
    Command,
    Control,
    Field,
    Identifier,
    Literal,
    Pipeline,
    TemplateError,
    Text,
    Variable,
    parse,
)

NO_VALUE = "<no value>"


class _Missing:
    """A missing map key: prints ``<no value>``, is false, is nil to functions."""

    def __repr__(self) -> str:
        return NO_VALUE


MISSING = _Missing()


class MissingKeyError(TemplateError):
    """``missingkey=error`` and a parameter the template names does not exist."""


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def go_format(value: Any) -> str:
    """``fmt.Sprint`` of a JSON-like value."""
    if value is None or value is MISSING:
        return NO_VALUE
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(_inner(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{_inner(k)}:{_inner(value[k])}" for k in sorted(value, key=str)) + "]"
    return str(value)


def _inner(value: Any) -> str:
    return "<nil>" if value is None or value is MISSING else go_format(value)


def format_float(value: float) -> str:
    """Go's ``%v`` of a float64: shortest form, exponent only for very large or small values."""
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e21:
        return str(int(value))
    text = repr(value)
    if "e" in text:
        mant, exp = text.split("e")
        sign = exp[0] if exp[0] in "+-" else "+"
        digits = exp.lstrip("+-").rjust(2, "0")
        return f"{mant}e{sign}{digits}"
    return text


def truth(value: Any) -> bool:
    if value is None or value is MISSING:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) > 0
    return True


def is_nil(value: Any) -> bool:
    return value is None or value is MISSING


class Template:
    """One parsed template; ``execute(data)`` renders it."""

    def __init__(
        self,
        text: str,
        funcs: Mapping[str, Callable[..., Any]],
        *,
        missing_key_error: bool = False,
        name: str = "base",
    ) -> None:
        self.text = text
        self.name = name
        self.funcs = funcs
        self.missing_key_error = missing_key_error
        self.nodes = parse(text, name)

    def execute(self, data: Any) -> str:
        out: list[str] = []
        scopes: list[dict[str, Any]] = [{"$": data}]
        try:
            self._walk(self.nodes, data, scopes, out)
        except (_Break, _Continue) as exc:
            raise TemplateError(f"template {self.name}: break or continue outside range") from exc
        return "".join(out)

    def _walk(self, nodes: list[Any], dot: Any, scopes: list[dict[str, Any]], out: list[str]) -> None:
        for node in nodes:
            if isinstance(node, Text):
                out.append(node.text)
            elif isinstance(node, Action):
                value = self._pipe(node.pipe, dot, scopes)
                if not node.pipe.decl:
                    out.append(go_format(value))
            elif isinstance(node, Branch):
                self._branch(node, dot, scopes, out)
            elif isinstance(node, Control):
                raise _Break() if node.kind == "break" else _Continue()

    def _branch(self, node: Branch, dot: Any, scopes: list[dict[str, Any]], out: list[str]) -> None:
        scopes.append({})
        try:
            if node.kind == "range":
                self._range(node, dot, scopes, out)
                return
            value = self._pipe(node.pipe, dot, scopes)
            if truth(value):
                self._walk(node.body, value if node.kind == "with" else dot, scopes, out)
            elif node.else_body is not None:
                self._walk(node.else_body, dot, scopes, out)
        finally:
            scopes.pop()

    def _range(self, node: Branch, dot: Any, scopes: list[dict[str, Any]], out: list[str]) -> None:
        decl = node.pipe.decl
        node.pipe.decl = []
        try:
            value = self._pipe(node.pipe, dot, scopes)
        finally:
            node.pipe.decl = decl
        if isinstance(value, Mapping):
            pairs: list[tuple[Any, Any]] = [(k, value[k]) for k in sorted(value, key=str)]
        elif isinstance(value, list | tuple):
            pairs = list(enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool):
            pairs = [(i, i) for i in range(value)]
        elif is_nil(value):
            pairs = []
        else:
            raise TemplateError(f"template {self.name}: range can't iterate over {go_format(value)}")
        if not pairs and node.else_body is not None:
            self._walk(node.else_body, dot, scopes, out)
            return
        for key, item in pairs:
            if len(decl) == 1:
                scopes[-1][decl[0]] = item
            elif len(decl) == 2:
                scopes[-1][decl[0]] = key
                scopes[-1][decl[1]] = item
            try:
                self._walk(node.body, item, scopes, out)
            except _Break:
                break
            except _Continue:
                continue

    def _pipe(self, pipe: Pipeline, dot: Any, scopes: list[dict[str, Any]]) -> Any:
        value: Any = MISSING
        first = True
        for command in pipe.commands:
            value = self._command(command, dot, scopes, None if first else (value,))
            first = False
        if pipe.decl:
            name = pipe.decl[-1]
            if pipe.is_assign:
                for scope in reversed(scopes):
                    if name in scope:
                        scope[name] = value
                        break
                else:
                    raise TemplateError(f"template {self.name}: undefined variable {name}")
            else:
                scopes[-1][name] = value
        return value

    def _command(
        self, command: Command, dot: Any, scopes: list[dict[str, Any]], piped: tuple[Any] | None
    ) -> Any:
        head = command.args[0]
        if isinstance(head, Identifier):
            func = self.funcs.get(head.name)
            if func is None:
                raise TemplateError(f'template {self.name}: function "{head.name}" not defined')
            args = [self._arg(a, dot, scopes) for a in command.args[1:]]
            if piped is not None:
                args.append(piped[0])
            try:
                return func(*args)
            except TemplateError:
                raise
            except (TypeError, ValueError, KeyError, IndexError, ZeroDivisionError, AttributeError) as exc:
                raise TemplateError(
                    f"template {self.name}: executing at <{head.name}>: error calling {head.name}: {exc}"
                ) from exc
        if len(command.args) > 1 or piped is not None:
            raise TemplateError(f"template {self.name}: can't give arguments to a non-function value")
        return self._arg(head, dot, scopes)

    def _arg(self, node: Any, dot: Any, scopes: list[dict[str, Any]]) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Field):
            return self._fields(dot, node.names)
        if isinstance(node, Variable):
            for scope in reversed(scopes):
                if node.name in scope:
                    return self._fields(scope[node.name], node.names)
            raise TemplateError(f"template {self.name}: undefined variable {node.name}")
        if isinstance(node, Pipeline):
            return self._pipe(node, dot, scopes)
        if isinstance(node, Chain):
            return self._fields(self._pipe(node.node, dot, scopes), node.names)
        if isinstance(node, Identifier):
            func = self.funcs.get(node.name)
            if func is None:
                raise TemplateError(f'template {self.name}: function "{node.name}" not defined')
            return func()
        raise TemplateError(f"template {self.name}: cannot evaluate {node!r}")

    def _fields(self, value: Any, names: tuple[str, ...]) -> Any:
        for i, name in enumerate(names):
            if isinstance(value, Mapping):
                if name in value:
                    value = value[name]
                elif self.missing_key_error:
                    raise MissingKeyError(
                        f"template {self.name}: executing at <.{'.'.join(names[: i + 1])}>: "
                        f'map has no entry for key "{name}"'
                    )
                else:
                    value = MISSING
            elif is_nil(value):
                if self.missing_key_error:
                    raise MissingKeyError(
                        f"template {self.name}: executing at <.{'.'.join(names[: i + 1])}>: "
                        f'nil data; no entry for key "{name}"'
                    )
                value = MISSING
            else:
                raise TemplateError(
                    f"template {self.name}: executing at <.{'.'.join(names[: i + 1])}>: "
                    f"can't evaluate field {name} in type {_go_type(value)}"
                )
        return value


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, str):
        return "string"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, list):
        return "[]interface {}"
    return type(value).__name__
