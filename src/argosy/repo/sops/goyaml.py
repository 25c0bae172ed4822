"""Read and write YAML the way SOPS (Go's yaml.v3) does.

The MAC of a SOPS file is a hash over every value as Go typed it, so a
value must be read with Go's rules, not PyYAML's YAML 1.1 ones: ``yes``,
``on`` and ``2024-01-01`` are strings, ``0755`` and ``0o755`` are octal,
``1_000`` is an int, ``1.0`` is a float. :class:`GoLoader` resolves plain
scalars that way (keys keep their order; comments are dropped, as SOPS leaves
them out of the MAC). :func:`dump` writes decrypted documents the way
``sops decrypt`` does (four-space indent, indented sequences, literal blocks
for multi-line strings), which matters where KSOPS puts a whole decrypted file
into a Secret value.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import yaml

from argosy.engine import yamlbounds

_INT = re.compile(r"^[-+]?(0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|[0-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {
    ".inf": float("inf"),
    ".Inf": float("inf"),
    ".INF": float("inf"),
    "+.inf": float("inf"),
    "+.Inf": float("inf"),
    "+.INF": float("inf"),
    "-.inf": float("-inf"),
    "-.Inf": float("-inf"),
    "-.INF": float("-inf"),
    ".nan": float("nan"),
    ".NaN": float("nan"),
    ".NAN": float("nan"),
}
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = {"", "~", "null", "Null", "NULL"}
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def go_int(text: str) -> int | None:
    """``strconv.ParseInt(s, 0, 64)`` after removing ``_``, plus YAML 1.1 octal (``0755``)."""
    plain = text.replace("_", "")
    if not _INT.match(text):
        return None
    sign = -1 if plain.startswith("-") else 1
    body = plain.lstrip("+-")
    try:
        if body[:2] in ("0b", "0o", "0x"):
            return sign * int(body[2:], {"0b": 2, "0o": 8, "0x": 16}[body[:2]])
        if len(body) > 1 and body.startswith("0"):
            return sign * int(body, 8)
        return sign * int(body)
    except ValueError:
        return None


_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?"
    r"(?:[ \t]*(Z|[-+]\d{1,2}(?::?\d{2})?))?)?$"
)


class GoTime(str):
    """A YAML timestamp, held as Go's ``time.Time.MarshalText`` (RFC 3339, nanoseconds trimmed)."""


def go_time(text: str) -> GoTime | None:
    """yaml.v3 reads plain timestamps as ``time.Time``; SOPS hashes and writes them as RFC 3339."""
    m = _TIMESTAMP.match(text)
    if not m:
        return None
    year, month, day = (int(m.group(i)) for i in (1, 2, 3))
    if m.group(4) is None:
        return GoTime(f"{year:04d}-{month:02d}-{day:02d}T00:00:00Z")
    hour, minute, second = (int(m.group(i)) for i in (4, 5, 6))
    fraction = (m.group(7) or "")[:9].rstrip("0")
    zone = m.group(8) or "Z"
    if zone != "Z":
        digits = zone[1:].replace(":", "")
        hours, minutes = (int(digits[:-2]), int(digits[-2:])) if len(digits) > 2 else (int(digits), 0)
        zone = "Z" if hours == minutes == 0 else f"{zone[0]}{hours:02d}:{minutes:02d}"
    frac = f".{fraction}" if fraction else ""
    return GoTime(f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}{frac}{zone}")


def resolve_plain(text: str) -> Any:
    """The Go value of an untagged plain scalar."""
    if text in _NULL:
        return None
    if text in _BOOL:
        return _BOOL[text]
    if text in _SPECIAL_FLOAT:
        return _SPECIAL_FLOAT[text]
    if text and text[0] in "0123456789+-.":
        number = go_int(text)
        if number is not None and -(2**63) <= number < 2**64:
            return number
        plain = text.replace("_", "")
        if _FLOAT.match(plain):
            return float(plain)
        stamp = go_time(text)
        if stamp is not None:
            return stamp
    return text


class GoLoader(yamlbounds.DepthLimitedComposer, _BaseLoader):  # type: ignore[misc]
    """The safe loader with yaml.v3's scalar resolution (see the module docstring).

    libyaml's parser when available: PyYAML's pure-Python scanner is quadratic in
    flow nesting (10,000 ``[`` cost seconds before any limit could apply).
    """

    def construct_scalar_go(self, node: yaml.ScalarNode) -> Any:
        value = str(node.value)
        if node.style in ("'", '"', "|", ">"):
            return value
        return resolve_plain(value)


def _plain_str(loader: GoLoader, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == "tag:yaml.org,2002:str" and not node.style:
            return loader.construct_scalar_go(node)
        return loader.construct_scalar(node)
    raise yaml.constructor.ConstructorError(None, None, "expected a scalar", node.start_mark)


# Every plain scalar is resolved as a "str" by this loader (no implicit resolvers),
# then typed by ``resolve_plain``; explicit tags keep PyYAML's meaning.
GoLoader.yaml_implicit_resolvers = {}
GoLoader.add_implicit_resolver("tag:yaml.org,2002:merge", re.compile(r"^<<$"), ["<"])
GoLoader.add_constructor("tag:yaml.org,2002:str", _plain_str)


def load_all(text: str) -> list[Any]:
    """Every document of ``text`` with Go's typing (raises ``yaml.YAMLError``), bounded like all
    repository YAML (:mod:`argosy.engine.yamlbounds`)."""
    return yamlbounds.load_all(text, GoLoader)


_OLD_BOOLS = frozenset(
    ["y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF"]
)


class _GoDumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and value.strip(" \n") and not any(line.endswith(" ") for line in value.split("\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    resolved = resolve_plain(value)
    if value in _OLD_BOOLS or not isinstance(resolved, str) or isinstance(resolved, GoTime):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _represent_float(dumper: yaml.SafeDumper, value: float) -> yaml.ScalarNode:
    text = go_float(value, "g")
    text = {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text)
    tag = "tag:yaml.org,2002:int" if go_int(text) is not None else "tag:yaml.org,2002:float"
    return dumper.represent_scalar(tag, text)


_GoDumper.yaml_implicit_resolvers = {}
_GoDumper.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile("^(?:" + "|".join([*_BOOL, *_OLD_BOOLS]) + ")$"), list("tTfFyYnNoO")
)
_GoDumper.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), [*"~nN", ""]
)
_GoDumper.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_GoDumper.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(_FLOAT.pattern + r"|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"),
    list("-+0123456789."),
)
_GoDumper.add_representer(str, _represent_str)
_GoDumper.add_representer(GoTime, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v)))
_GoDumper.add_representer(float, _represent_float)


def go_float(value: float, fmt: str = "f") -> str:
    """``strconv.FormatFloat(v, fmt, -1, 64)``: ``'f'`` is what SOPS hashes, ``'g'`` what yaml.v3 writes."""

    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    number = Decimal(repr(value)).normalize()
    if fmt == "g":
        sign, digits, exponent = number.as_tuple()
        assert isinstance(exponent, int)
        point = len(digits) + exponent
        if digits != (0,) and not -4 <= point - 1 < 6:
            mantissa = "".join(map(str, digits))
            body = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
            exp = point - 1
            return ("-" if sign else "") + f"{body}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return format(number, "f")


def dump(documents: list[Any]) -> str:
    """Documents as ``sops decrypt`` writes YAML (``---`` between documents)."""
    parts = [
        yaml.dump(
            doc,
            Dumper=_GoDumper,
            indent=4,
            sort_keys=False,
            allow_unicode=True,
            default_flow_style=False,
            width=1 << 30,
        )
        for doc in documents
    ]
    return "---\n".join(parts)
