"""Glob patterns in the dialect Argo CD uses everywhere (gobwas/glob).

Project source repos and destinations, resource exclusions, RBAC-free
matching of names: ``*`` (optionally not crossing separators), ``**``, ``?``,
``[a-z]``, ``[!a-z]``, ``{a,b}``, and ``\\`` to escape. One implementation, so
the same pattern means the same thing in every setting a user writes it.

Patterns are written by users (project admins among them), so the translated
pattern runs on RE2 (:mod:`argosy.engine.regex`): matching is linear in the
value. With Python's backtracking ``re``, a pattern of forty ``*`` against a
value that does not match ran for minutes (found by the glob fuzz target).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from argosy.engine.regex import RegexError, compile_go


@lru_cache(maxsize=1024)
def _glob_regex(pattern: str, separators: str) -> Any | None:
    sep = re.escape(separators)
    out: list[str] = []
    i, n, depth = 0, len(pattern), 0
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
                continue
            out.append(f"[^{sep}]*" if separators else ".*")
        elif c == "?":
            out.append(f"[^{sep}]" if separators else ".")
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                return None
            body = pattern[i + 1 : end]
            negate = body[:1] in ("!", "^")
            body = body[1:] if negate else body
            out.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        elif c == "{":
            out.append("(?:")
            depth += 1
        elif c == "}" and depth:
            out.append(")")
            depth -= 1
        elif c == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        return None
    try:
        return compile_go("(?s)" + "".join(out))
    except RegexError:
        return None


def glob_match(pattern: str, value: str, *, separators: str = "", allow_negation: bool = False) -> bool:
    """Match like Argo CD: ``*`` (not crossing ``separators``), ``**``, ``?``, ``[a-z]``, ``{a,b}``.

    With ``allow_negation`` a leading ``!`` inverts the match. A malformed
    pattern matches nothing rather than raising.
    """
    if allow_negation and pattern.startswith("!"):
        return not glob_match(pattern[1:], value, separators=separators)
    if pattern == "*":
        return True
    regex = _glob_regex(pattern, separators)
    return regex is not None and regex.fullmatch(value) is not None
