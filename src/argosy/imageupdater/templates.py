"""The Go-template subset of Argo CD Image Updater's commit messages and branch names.

Supported: ``{{ .Field }}`` (nested ``.A.B``), ``{{ range .List }}…{{ end }}``
(inside, ``.`` is the item), and the ``{{-``/``-}}`` whitespace trims. That is
all the upstream defaults and documented examples use (``.AppName``,
``.AppChanges`` with ``.Image``/``.OldTag``/``.NewTag``, ``.Images`` with
``.Name``/``.Alias``/``.OldTag``/``.NewTag``, ``.SHA256``). Anything else is an
error naming the action, so a typo never commits a half-rendered message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

_ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)


class TemplateError(ValueError):
    """The template uses something outside the supported subset, or a missing field."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _ACTION.finditer(text):
        literal = text[pos : m.start()]
        if m.group(1):
            literal = literal.rstrip()
        if out and out[-1][0] == "trim-next":
            out.pop()
            literal = literal.lstrip()
        out.append(("text", literal))
        out.append(("action", m.group(2)))
        if m.group(3):
            out.append(("trim-next", ""))
        pos = m.end()
    tail = text[pos:]
    if out and out[-1][0] == "trim-next":
        out.pop()
        tail = tail.lstrip()
    out.append(("text", tail))
    return out


def _lookup(dot: Any, path: str, action: str) -> Any:
    if path == ".":
        return dot
    if not path.startswith("."):
        raise TemplateError(f"template action {{{{{action}}}}}: only .Field, range and end are supported")
    value = dot
    for part in path[1:].split("."):
        if not isinstance(value, Mapping) or part not in value:
            raise TemplateError(f"template action {{{{{action}}}}}: no field {part!r}")
        value = value[part]
    return value


def _render(tokens: list[tuple[str, str]], i: int, dot: Any, out: list[str], stop_at_end: bool) -> int:
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "text":
            out.append(value)
            i += 1
            continue
        if value == "end":
            if not stop_at_end:
                raise TemplateError("template: {{end}} without {{range}}")
            return i + 1
        if value.startswith("range "):
            items = _lookup(dot, value[6:].strip(), value)
            if not isinstance(items, Sequence) or isinstance(items, str):
                raise TemplateError(f"template action {{{{{value}}}}}: not a list")
            end = _skip(tokens, i + 1)
            for item in items:
                _render(tokens, i + 1, item, out, True)
            i = end
            continue
        out.append(str(_lookup(dot, value, value)))
        i += 1
    if stop_at_end:
        raise TemplateError("template: {{range}} without {{end}}")
    return i


def _skip(tokens: list[tuple[str, str]], i: int) -> int:
    """Index after the ``end`` matching the ``range`` before ``i``."""
    depth = 1
    while i < len(tokens):
        kind, value = tokens[i]
        if kind == "action" and value.startswith("range "):
            depth += 1
        elif kind == "action" and value == "end":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise TemplateError("template: {{range}} without {{end}}")


def render(template: str, data: Mapping[str, Any]) -> str:
    out: list[str] = []
    _render(_tokens(template), 0, data, out, False)
    return "".join(out)
