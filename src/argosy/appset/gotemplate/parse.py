"""Parser of Go's ``text/template`` language, as ApplicationSets with ``goTemplate: true`` use it.

Supported: text, ``{{ pipeline }}`` actions with ``-`` trim markers and
``/* comments */``, ``if``/``else if``/``else``/``end``, ``range`` (with
``$i, $v :=``), ``with``, ``break``/``continue``, variables (``$x := ...``,
``$x = ...``, ``$``), field chains (``.a.b``, ``$x.a``, ``(f x).a``), pipes,
parentheses, and string (``"..."``, raw), number, rune, bool and ``nil``
literals. ``define``/``template``/``block`` are refused with a clear error:
an Application field is one template, there is nothing to include.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Any


class TemplateError(ValueError):
    """A template that cannot be parsed or executed; the message names the template and where."""


@dataclass
class Field:
    """``.a.b`` (``names == ("a", "b")``); ``.`` alone has no names."""

    names: tuple[str, ...]


@dataclass
class Variable:
    name: str
    names: tuple[str, ...] = ()


@dataclass
class Literal:
    value: Any


@dataclass
class Identifier:
    """A function name."""

    name: str


@dataclass
class Chain:
    """``(pipeline).a.b``."""

    node: Any
    names: tuple[str, ...]


@dataclass
class Command:
    args: list[Any]


@dataclass
class Pipeline:
    commands: list[Command]
    decl: list[str] = field(default_factory=list)
    is_assign: bool = False
    pos: int = 0


@dataclass
class Text:
    text: str


@dataclass
class Action:
    pipe: Pipeline


@dataclass
class Branch:
    """``if``, ``range`` or ``with``."""

    kind: str
    pipe: Pipeline
    body: list[Any]
    else_body: list[Any] | None = None


@dataclass
class Control:
    """``break`` or ``continue``."""

    kind: str


_NUMBER = re.compile(
    r"[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d[\d_]*([eE][+-]?\d+)?)"
)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FIELD_NAME = re.compile(r"\.[A-Za-z0-9_]+")


def _lex_action(src: str, start: int) -> list[tuple[str, Any]]:
    """Tokens of one action's inside."""
    tokens: list[tuple[str, Any]] = []
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c in " \t\r\n":
            i += 1
        elif c == "|":
            tokens.append(("pipe", "|"))
            i += 1
        elif c == "(":
            tokens.append(("lparen", c))
            i += 1
        elif c == ")":
            # a field chain may follow a closing paren: (x).a.b
            tokens.append(("rparen", c))
            i += 1
            m = re.compile(r"(\.[A-Za-z0-9_]+)+").match(src, i)
            if m:
                tokens.append(("chain", tuple(m.group(0)[1:].split("."))))
                i = m.end()
        elif c == ",":
            tokens.append(("comma", c))
            i += 1
        elif src.startswith(":=", i):
            tokens.append(("declare", ":="))
            i += 2
        elif c == "=":
            tokens.append(("assign", "="))
            i += 1
        elif c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            if j >= n:
                raise TemplateError(f"unterminated quoted string at offset {start + i}")
            tokens.append(("literal", _go_string(src[i : j + 1])))
            i = j + 1
        elif c == "`":
            j = src.find("`", i + 1)
            if j < 0:
                raise TemplateError(f"unterminated raw string at offset {start + i}")
            tokens.append(("literal", src[i + 1 : j]))
            i = j + 1
        elif c == "'":
            j = src.find("'", i + 1)
            if j < 0:
                raise TemplateError(f"unterminated character constant at offset {start + i}")
            tokens.append(("literal", ord(_go_string('"' + src[i + 1 : j] + '"'))))
            i = j + 1
        elif c == "$":
            m = re.compile(r"\$[A-Za-z0-9_]*((\.[A-Za-z0-9_]+)*)").match(src, i)
            assert m is not None
            head = m.group(0).split(".")
            tokens.append(("variable", Variable(head[0], tuple(head[1:]))))
            i = m.end()
        elif c == ".":
            m = re.compile(r"(\.[A-Za-z0-9_]+)+").match(src, i)
            if m and not src[i + 1].isdigit():
                tokens.append(("field", Field(tuple(m.group(0)[1:].split(".")))))
                i = m.end()
            elif i + 1 < n and src[i + 1].isdigit():
                m2 = _NUMBER.match(src, i)
                assert m2 is not None
                tokens.append(("literal", _go_number(m2.group(0))))
                i = m2.end()
            else:
                tokens.append(("field", Field(())))
                i += 1
        elif c.isdigit() or (c in "+-" and i + 1 < n and (src[i + 1].isdigit() or src[i + 1] == ".")):
            m = _NUMBER.match(src, i)
            assert m is not None
            tokens.append(("literal", _go_number(m.group(0))))
            i = m.end()
        else:
            m = _IDENT.match(src, i)
            if not m:
                raise TemplateError(f"unexpected {c!r} in command at offset {start + i}")
            word = m.group(0)
            i = m.end()
            if word in ("true", "false"):
                tokens.append(("literal", word == "true"))
            elif word == "nil":
                tokens.append(("nil", None))
            else:
                tokens.append(("ident", word))
            fm = re.compile(r"(\.[A-Za-z0-9_]+)+").match(src, i)
            if fm and word not in ("true", "false", "nil"):
                raise TemplateError(
                    f"unexpected {fm.group(0)!r} after function {word!r} at offset {start + i}"
                )
    return tokens


def _go_string(quoted: str) -> str:
    try:
        value = ast.literal_eval(quoted)
    except (ValueError, SyntaxError) as exc:
        raise TemplateError(f"bad string literal {quoted}: {exc}") from exc
    return str(value)


def _go_number(text: str) -> int | float:
    clean = text.replace("_", "")
    try:
        return int(clean, 0)
    except ValueError:
        try:
            return float(clean)
        except ValueError as exc:
            raise TemplateError(f"bad number syntax: {text!r}") from exc


class _Parser:
    def __init__(self, text: str, name: str) -> None:
        self.text = text
        self.name = name
        self.items = self._split()
        self.pos = 0

    def _split(self) -> list[tuple[str, Any, int]]:
        """Text and action items, trim markers applied."""
        items: list[tuple[str, Any, int]] = []
        i = 0
        text = self.text
        while True:
            j = text.find("{{", i)
            if j < 0:
                items.append(("text", text[i:], i))
                break
            chunk = text[i:j]
            inner_start = j + 2
            if (
                text.startswith("- ", inner_start)
                or text.startswith("-\t", inner_start)
                or text.startswith("-\n", inner_start)
            ):
                chunk = chunk.rstrip(" \t\r\n")
                inner_start += 1
            items.append(("text", chunk, i))
            k = self._action_end(inner_start)
            if k < 0:
                raise TemplateError(f"template {self.name}: unclosed action starting at offset {j}")
            inner = text[inner_start:k]
            end = k + 2
            trim_right = False
            if inner.endswith(" -") or inner.endswith("\t-") or inner.endswith("\n-"):
                inner = inner[:-1]
                trim_right = True
            stripped = inner.strip()
            if stripped.startswith("/*"):
                if not stripped.endswith("*/"):
                    raise TemplateError(f"template {self.name}: unclosed comment at offset {j}")
            else:
                items.append(("action", inner, inner_start))
            i = end
            if trim_right:
                while i < len(text) and text[i] in " \t\r\n":
                    i += 1
        return [it for it in items if not (it[0] == "text" and it[1] == "")]

    def _action_end(self, start: int) -> int:
        """The ``}}`` closing an action, skipping strings and comments."""
        text = self.text
        i = start
        quote = ""
        while i < len(text):
            c = text[i]
            if quote:
                if c == "\\" and quote == '"':
                    i += 2
                    continue
                if c == quote:
                    quote = ""
            elif text.startswith("/*", i):
                k = text.find("*/", i + 2)
                if k < 0:
                    return -1
                i = k + 2
                continue
            elif c in "\"`'":
                quote = c
            elif text.startswith("}}", i):
                return i
            i += 1
        return -1

    def parse(self) -> list[Any]:
        body, end = self._list()
        if end is not None:
            raise TemplateError(f"template {self.name}: unexpected {{{{{end}}}}}")
        return body

    def _list(self) -> tuple[list[Any], str | None]:
        """Nodes up to ``end``/``else``; returns the terminator's text (or None at EOF)."""
        nodes: list[Any] = []
        while self.pos < len(self.items):
            kind, value, offset = self.items[self.pos]
            self.pos += 1
            if kind == "text":
                nodes.append(Text(value))
                continue
            tokens = _lex_action(value, offset)
            if not tokens:
                raise TemplateError(f"template {self.name}: missing value for command at offset {offset}")
            head = tokens[0]
            if head == ("ident", "end"):
                return nodes, "end"
            if head == ("ident", "else"):
                return nodes, "else " + value.strip()[4:].strip() if len(tokens) > 1 else "else"
            if head[0] == "ident" and head[1] in ("if", "range", "with"):
                nodes.append(self._branch(head[1], tokens[1:], offset))
            elif head[0] == "ident" and head[1] in ("break", "continue"):
                nodes.append(Control(head[1]))
            elif head[0] == "ident" and head[1] in ("define", "template", "block"):
                raise TemplateError(
                    f"template {self.name}: {{{{{head[1]}}}}} is not supported in ApplicationSet templates"
                )
            else:
                nodes.append(Action(self._pipeline(tokens, offset)))
        return nodes, None

    def _branch(self, kind: str, tokens: list[tuple[str, Any]], offset: int) -> Branch:
        pipe = self._pipeline(tokens, offset)
        body, end = self._list()
        if end is None:
            raise TemplateError(f"template {self.name}: unexpected EOF, {{{{{kind}}}}} has no {{{{end}}}}")
        node = Branch(kind, pipe, body)
        if end == "end":
            return node
        if end == "else":
            else_body, end2 = self._list()
            if end2 != "end":
                raise TemplateError(
                    f"template {self.name}: {{{{else}}}} of {{{{{kind}}}}} has no {{{{end}}}}"
                )
            node.else_body = else_body
            return node
        # "else if ..." / "else with ...": a nested branch that shares our {{end}}
        rest = end[len("else ") :]
        sub_tokens = _lex_action(rest, offset)
        if not sub_tokens or sub_tokens[0][0] != "ident" or sub_tokens[0][1] not in ("if", "with"):
            raise TemplateError(f"template {self.name}: unexpected {{{{{end}}}}}")
        node.else_body = [self._branch(sub_tokens[0][1], sub_tokens[1:], offset)]
        return node

    def _pipeline(self, tokens: list[tuple[str, Any]], offset: int) -> Pipeline:
        decl: list[str] = []
        is_assign = False
        # $x := / $x = / $i, $v :=
        for width in (2, 4):
            if len(tokens) > width - 1 and all(t[0] == "variable" for t in tokens[0:width:2]):
                ops = tokens[1:width:2]
                if width == 2 and ops and ops[0][0] in ("declare", "assign"):
                    decl = [tokens[0][1].name]
                    is_assign = ops[0][0] == "assign"
                    tokens = tokens[2:]
                    break
                if (
                    width == 4
                    and len(tokens) > 3
                    and tokens[1][0] == "comma"
                    and tokens[3][0] in ("declare", "assign")
                ):
                    decl = [tokens[0][1].name, tokens[2][1].name]
                    is_assign = tokens[3][0] == "assign"
                    tokens = tokens[4:]
                    break
        pos = [0]
        pipe = self._commands(tokens, pos, offset, closing=False)
        pipe.decl = decl
        pipe.is_assign = is_assign
        pipe.pos = offset
        return pipe

    def _commands(
        self, tokens: list[tuple[str, Any]], pos: list[int], offset: int, closing: bool
    ) -> Pipeline:
        commands: list[Command] = []
        args: list[Any] = []
        while pos[0] < len(tokens):
            kind, value = tokens[pos[0]]
            pos[0] += 1
            if kind == "pipe":
                if not args:
                    raise TemplateError(
                        f"template {self.name}: missing command before '|' at offset {offset}"
                    )
                commands.append(Command(args))
                args = []
            elif kind == "rparen":
                if not closing:
                    raise TemplateError(f"template {self.name}: unexpected ')' at offset {offset}")
                break
            elif kind == "lparen":
                inner = self._commands(tokens, pos, offset, closing=True)
                node: Any = inner
                if pos[0] < len(tokens) and tokens[pos[0]][0] == "chain":
                    node = Chain(inner, tokens[pos[0]][1])
                    pos[0] += 1
                args.append(node)
            elif kind == "field" or kind == "variable" or kind == "literal":
                args.append(value if kind != "literal" else Literal(value))
            elif kind == "nil":
                args.append(Literal(None))
            elif kind == "ident":
                if value in ("if", "range", "with", "end", "else", "define", "template", "block"):
                    raise TemplateError(f"template {self.name}: unexpected {value!r} in command")
                args.append(Identifier(value))
            else:
                raise TemplateError(
                    f"template {self.name}: unexpected {value!r} in command at offset {offset}"
                )
        else:
            if closing:
                raise TemplateError(f"template {self.name}: unclosed left paren at offset {offset}")
        if not args:
            raise TemplateError(f"template {self.name}: missing value for command at offset {offset}")
        commands.append(Command(args))
        return Pipeline(commands)


def parse(text: str, name: str = "base") -> list[Any]:
    """The node list of one template; raises TemplateError naming the problem."""
    return _Parser(text, name).parse()
