"""Parse a dotenv file as KSOPS does (``github.com/joho/godotenv``).

KSOPS turns each ``secretFrom.envs`` file into Secret keys with godotenv, so
Argosy parses the decrypted file with the same rules: ``export`` prefixes,
``#`` comments (inline ones after whitespace, outside quotes), single quotes
taken literally, double quotes with ``\\n``-style escapes, and ``$VAR`` /
``${VAR}`` expanded from keys defined earlier in the same file. Unlike
godotenv, the repo server's own environment is never substituted.
"""

from __future__ import annotations

import re

_VAR = re.compile(r"(\\)?(\$)(\()?\{?([A-Z0-9_]+)?\}?", re.IGNORECASE)
_ESCAPE = re.compile(r"\\.")


def _expand(value: str, known: dict[str, str]) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) == "\\" or m.group(3) == "(":
            return m.group(0)[1:]
        if m.group(4):
            return known.get(m.group(4), "")
        return m.group(0)

    return _VAR.sub(sub, value)


def _unescape(value: str) -> str:
    table = {"\\n": "\n", "\\r": "\r", "\\t": "\t", '\\"': '"', "\\\\": "\\", "\\$": "$"}
    return _ESCAPE.sub(lambda m: table.get(m.group(0), m.group(0)), value)


def parse(text: str) -> dict[str, str]:
    """Keys and values of a dotenv file (raises ``ValueError`` on a line without a value)."""
    out: dict[str, str] = {}
    rest = text.replace("\r\n", "\n")
    while rest:
        line, _, tail = rest.partition("\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            rest = tail
            continue
        if stripped.startswith("export "):
            stripped = stripped[len("export ") :].lstrip()
        m = re.match(r"^([^=:\s]+)\s*[=:]\s?(.*)$", stripped, re.DOTALL)
        if not m:
            raise ValueError(f"unexpected line {stripped[:40]!r}: expected KEY=VALUE")
        key, value = m.group(1), m.group(2).lstrip()
        if value[:1] in ("'", '"'):
            quote = value[0]
            body = value[1:] + ("\n" + tail if tail else "")
            idx = 0
            while True:
                idx = body.find(quote, idx)
                if idx < 0:
                    raise ValueError(f"unterminated quoted value for key {key!r}")
                if quote == '"' and (len(body[:idx]) - len(body[:idx].rstrip("\\"))) % 2 == 1:
                    idx += 1
                    continue
                break
            raw = body[:idx]
            after = body[idx + 1 :]
            rest = after.partition("\n")[2]
            out[key] = _expand(_unescape(raw), out) if quote == '"' else raw
            continue
        comment = re.search(r"\s#", value)
        if comment:
            value = value[: comment.start()]
        out[key] = _expand(value.strip(), out)
        rest = tail
    return out
