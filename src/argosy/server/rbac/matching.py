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

from argosy.engine.glob import glob_match

GLOB = "glob"
REGEX = "regex"
MATCH_MODES = (GLOB, REGEX)


@lru_cache(maxsize=4096)
def _compiled_regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def glob_value_match(value: str, pattern: str) -> bool:
    """True when the whole ``value`` matches the glob ``pattern`` (:mod:`argosy.engine.glob`,
    no separators: ``*`` also matches ``/``, as in Argo CD's RBAC)."""
    return glob_match(pattern, value)


def regex_match(value: str, pattern: str) -> bool:
    """True when ``pattern`` matches somewhere in ``value`` (Go ``regexp.MatchString``)."""
    compiled = _compiled_regex(pattern)
    return compiled is not None and compiled.search(value) is not None


def matcher_for(mode: str) -> Callable[[str, str], bool]:
    """The match function of a ``policy.matchMode`` value; anything but ``regex`` is glob, as in Argo CD."""
    return regex_match if mode == REGEX else glob_value_match
