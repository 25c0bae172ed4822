"""How a policy field matches a request field: glob (the default) or regex.

``argocd-rbac-cm`` ``policy.matchMode`` picks one for resources, actions and
objects. Glob follows Argo CD's (gobwas) syntax with no separators: ``*``
matches any text including ``/``, ``?`` one character, ``[a-z]``/``[!a-z]``
a class, ``{a,b}`` alternatives, ``\\`` escapes. Regex follows Go's
``regexp.MatchString``: the pattern may match anywhere in the value (anchor
with ``^``/``$`` yourself), and in regex mode ``*`` is not a wildcard. A
pattern that does not compile matches nothing, so a typo never grants access.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

GLOB = "glob"
REGEX = "regex"
MATCH_MODES = (GLOB, REGEX)


class _GlobSyntaxError(ValueError):
    pass


def _translate_glob(pattern: str) -> str:
    """Translate a gobwas-style glob (no separators) into a Python regex body."""
    out: list[str] = []
    depth = 0  # nesting of {…,…}
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 >= n:
                raise _GlobSyntaxError("dangling escape")
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            while i + 1 < n and pattern[i + 1] == "*":
                i += 1
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                raise _GlobSyntaxError("unterminated character class")
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            if negate:
                body = body[1:]
            if not body:
                raise _GlobSyntaxError("empty character class")
            escaped = "".join("\\" + ch if ch in "\\^[]" else ch for ch in body)
            out.append(f"[{'^' if negate else ''}{escaped}]")
            i = end
        elif c == "{":
            depth += 1
            out.append("(?:")
        elif c == "}" and depth > 0:
            depth -= 1
            out.append(")")
        elif c == "," and depth > 0:
            out.append("|")
        else:
            out.append(re.escape(c))
        i += 1
    if depth:
        raise _GlobSyntaxError("unterminated alternatives")
    return "".join(out)


@lru_cache(maxsize=4096)
def _compiled_glob(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(_translate_glob(pattern), re.DOTALL)
    except (_GlobSyntaxError, re.error):
        return None


@lru_cache(maxsize=4096)
def _compiled_regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def glob_match(value: str, pattern: str) -> bool:
    """True when the whole ``value`` matches the glob ``pattern``."""
    compiled = _compiled_glob(pattern)
    return compiled is not None and compiled.fullmatch(value) is not None


def regex_match(value: str, pattern: str) -> bool:
    """True when ``pattern`` matches somewhere in ``value`` (Go ``regexp.MatchString``)."""
    compiled = _compiled_regex(pattern)
    return compiled is not None and compiled.search(value) is not None


def matcher_for(mode: str) -> Callable[[str, str], bool]:
    """The match function of a ``policy.matchMode`` value; anything but ``regex`` is glob, as in Argo CD."""
    return regex_match if mode == REGEX else glob_match
