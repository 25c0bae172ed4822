"""Regular expressions that users write, matched in linear time with Go's rules.

Argo CD and the tools around it (Casbin in regex mode, ApplicationSet filters
and templates, the image updater, SOPS) are Go programs, and Go's ``regexp``
is RE2: matching takes time linear in the input, whatever the pattern.
Python's ``re`` backtracks, so ``(a+)+$`` against thirty ``a``s and ``!``
runs for minutes; a project admin's RBAC rule or an ApplicationSet filter
must not be able to hold a server or controller thread like that. Every
user-written regular expression therefore goes through this module, which
uses RE2 (the ``google-re2`` bindings) with Go's syntax and semantics:

* :func:`search` is Go's ``MatchString``: a match anywhere in the value
  (anchor with ``^``/``$``); ``.`` does not match a newline, ``$`` only matches
  at the very end (no ``re``-style "before a final newline");
* patterns Go rejects, RE2 rejects too: backreferences (``\\1``), lookaround
  (``(?=``, ``(?<=``), ``\\Z``, repetitions over 1000. :func:`compile_go` raises
  :class:`RegexError` saying so; callers that must not fail (RBAC) treat such a
  pattern as matching nothing;
* a compiled program's memory is bounded by RE2 (8 MiB by default).
"""

from __future__ import annotations

import functools
from typing import Any

import re2

_NOT_IN_GO = ("invalid perl operator", "invalid escape sequence", "invalid repetition size")


class RegexError(ValueError):
    """A pattern is not a valid Go (RE2) regular expression; the message says why."""


def _options() -> Any:
    options = re2.Options()
    options.log_errors = False  # RE2 would print every refused pattern on stderr
    return options


_OPTIONS = _options()


@functools.lru_cache(maxsize=4096)
def _compile(pattern: str) -> tuple[Any, str]:
    try:
        return re2.compile(pattern, _OPTIONS), ""
    except re2.error as exc:
        reason = exc.args[0] if exc.args else str(exc)
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        if any(text.startswith(prefix) for prefix in _NOT_IN_GO):
            text += (
                " (Go's regular expressions, which Argo CD uses, have no backreferences, "
                "lookaround or \\Z, and allow at most 1000 repetitions)"
            )
        return None, text


def compile_go(pattern: str) -> Any:
    """The compiled pattern (``search``/``fullmatch``/``sub``/``split``/``findall``, as ``re``'s);
    raises :class:`RegexError` naming the pattern and the reason. Cached."""
    compiled, reason = _compile(pattern)
    if compiled is None:
        raise RegexError(f"{pattern!r} is not a valid regular expression: {reason}")
    return compiled


def error_of(pattern: str) -> str:
    """Why ``pattern`` is refused, or ``""`` when it compiles."""
    return _compile(pattern)[1]


def search(pattern: str, value: str) -> bool:
    """Go's ``regexp.MatchString(pattern, value)``: a match anywhere; raises :class:`RegexError`."""
    return compile_go(pattern).search(value) is not None


def search_or_false(pattern: str, value: str) -> bool:
    """Like :func:`search`, but a refused pattern matches nothing (for rules that must never grant
    more than written, such as RBAC policies, which report the pattern elsewhere)."""
    compiled, _reason = _compile(pattern)
    return compiled is not None and compiled.search(value) is not None
