"""SOPS file formats: recognise a SOPS file, split it into tree + metadata, write it back in clear.

Formats follow SOPS's rule by file name: ``.yaml``/``.yml`` YAML (several
documents share the first one's metadata), ``.json`` JSON, ``.env`` dotenv
(metadata flattened into ``sops_*`` keys, newlines written as ``\\n``),
``.ini`` INI (metadata in a ``[sops]`` section) and anything else binary (a
JSON document whose ``data`` value is the whole file). Decrypted content is
written the way ``sops decrypt`` writes it, so what KSOPS would put into a
Secret is what Argosy puts there.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import yaml

from argosy.engine import yamlbounds
from argosy.repo.sops import goyaml
from argosy.repo.sops.tree import SopsFormatError

_MARKERS = (
    re.compile(rb"(?m)^sops:\s*$"),  # YAML
    re.compile(rb'"sops"\s*:\s*\{'),  # JSON / binary
    re.compile(rb"(?m)^sops_mac="),  # dotenv
    re.compile(rb"(?m)^\[sops\]\s*$"),  # INI
)
ENC_MARKER = "ENC[AES256_GCM,"


def format_for_path(path: str) -> str:
    """SOPS's ``FormatForPath``."""
    lower = path.lower()
    if lower.endswith((".yaml", ".yml")):
        return "yaml"
    if lower.endswith(".json"):
        return "json"
    if lower.endswith(".env"):
        return "dotenv"
    if lower.endswith(".ini"):
        return "ini"
    return "binary"


def looks_encrypted(data: bytes) -> bool:
    """A cheap test: SOPS metadata in any format, and an encrypted MAC."""
    return b"ENC[AES256_GCM," in data and any(m.search(data) for m in _MARKERS)


@dataclass
class Loaded:
    format: str
    branches: list[Any]
    metadata: Any


def _unflatten(flat: dict[str, Any], escape_newlines: bool) -> dict[str, Any]:
    """SOPS's flattened metadata (``age__list_0__map_enc``) back into a tree."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        if escape_newlines and isinstance(value, str):
            value = value.replace("\\n", "\n")
        tokens = re.split(r"__(list|map)_", key)
        node: Any = out
        name: Any = tokens[0]
        for kind, token in zip(tokens[1::2], tokens[2::2], strict=True):
            child: Any = [] if kind == "list" else {}
            if isinstance(node, dict):
                node = node.setdefault(name, child)
            else:
                while len(node) <= name:
                    node.append(None)
                if node[name] is None:
                    node[name] = child
                node = node[name]
            name = int(token) if kind == "list" else token
        if isinstance(node, list):
            while len(node) <= name:
                node.append(None)
        node[name] = value
    return out


def _dotenv(text: str) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for number, line in enumerate(text.split("\n"), 1):
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise SopsFormatError(f"line {number}: invalid dotenv line (no '=')")
        items.append((key, value.replace("\\n", "\n")))
    return items


def _ini(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {"DEFAULT": {}}
    current = sections["DEFAULT"]
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1].strip(), {})
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, sep, value = line.partition(":")
        if not sep:
            raise SopsFormatError(f"line {number}: invalid INI line")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'`":
            value = value[1:-1]
        current[key.strip()] = value
    return sections


def load(data: bytes, fmt: str) -> Loaded:
    """Split a SOPS file into branches and raw metadata (raises :class:`SopsFormatError`)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SopsFormatError("not UTF-8 text") from exc
    try:
        if fmt == "yaml":
            docs = [d for d in goyaml.load_all(text) if d is not None]
            if not docs or not all(isinstance(d, dict) for d in docs):
                raise SopsFormatError("every YAML document of a SOPS file must be a mapping")
            meta = docs[0].get("sops")
            return Loaded(fmt, [{k: v for k, v in d.items() if k != "sops"} for d in docs], meta)
        if fmt in ("json", "binary"):
            doc = yamlbounds.load_json(text)
            if not isinstance(doc, dict):
                raise SopsFormatError("a SOPS JSON file must be an object")
            meta = doc.pop("sops", None)
            if fmt == "binary" and set(doc) != {"data"}:
                raise SopsFormatError("a SOPS binary file holds exactly one 'data' value")
            return Loaded(fmt, [doc], meta)
        if fmt == "dotenv":
            items = _dotenv(text)
            flat = {k[len("sops_") :]: v for k, v in items if k.startswith("sops_")}
            body = {k: v for k, v in items if not k.startswith("sops_")}
            return Loaded(fmt, [body], _unflatten(flat, False) if flat else None)
        if fmt == "ini":
            sections = _ini(text)
            flat = sections.pop("sops", {})
            return Loaded(fmt, [sections], _unflatten(flat, True) if flat else None)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise SopsFormatError(f"{where}invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    except json.JSONDecodeError as exc:
        raise SopsFormatError(f"line {exc.lineno}: invalid JSON: {exc.msg}") from exc
    raise SopsFormatError(f"unknown format {fmt!r}")


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return goyaml.go_float(value, "g")
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return "" if value is None else str(value)


def _json(value: Any, indent: str) -> str:
    """Go's ``json.MarshalIndent(v, "", "\\t")`` (floats as Go writes them)."""
    inner = indent + "\t"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [
            f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_json(v, inner)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(inner + _json(v, inner) for v in value) + "\n" + indent + "]"
    if isinstance(value, float) and value == value and abs(value) != float("inf"):
        if value == 0 or 1e-6 <= abs(value) < 1e21:
            return goyaml.go_float(value)
        return repr(value).replace("e-0", "e-").replace("e+0", "e+")
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


def emit(fmt: str, branches: list[Any]) -> bytes:
    """Decrypted branches written as ``sops decrypt`` writes them."""
    if fmt == "yaml":
        return goyaml.dump(branches).encode()
    if fmt == "json":
        return (_json(branches[0], "") + "\n").encode()
    if fmt == "binary":
        data = branches[0].get("data", "")
        return data if isinstance(data, bytes) else str(data).encode()
    if fmt == "dotenv":
        return "".join(
            f"{k}={_value_text(v).replace(chr(10), chr(92) + 'n')}\n" for k, v in branches[0].items()
        ).encode()
    if fmt == "ini":
        out = []
        for section, values in branches[0].items():
            if section == "DEFAULT" and not values:
                continue
            head = "" if section == "DEFAULT" else f"[{section}]\n"
            width = max((len(k) for k in values), default=0)  # go-ini aligns the '=' signs
            out.append(head + "".join(f"{k:<{width}} = {_value_text(v)}\n" for k, v in values.items()))
        return "\n".join(out).encode()
    raise SopsFormatError(f"unknown format {fmt!r}")
