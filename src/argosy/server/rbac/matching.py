"""How a policy field matches a request field: glob (the default) or regex.

``argocd-rbac-cm`` ``policy.matchMode`` picks one for resources, actions and
objects. Glob follows Argo CD's (gobwas) syntax with no separators: ``*``
matches any text including ``/``, ``?`` one character, ``[a-z]``/``[!a-z]``
a class, ``{a,b}`` alternatives, ``\\`` escapes. Regex follows Go's
``regexp.MatchString``: the pattern may match anywhere in the value (anchor
with ``^``/``$`` yourself), and in regex mode ``*`` is not a wildcard. Matching
is RE2's, linear in time like Go's (:mod:`argosy.engine.regex`), so a pattern
such as ``(a+)+$`` cannot hold a server thread. A pattern that does not
compile (a typo, or a backreference or lookaround, which Go refuses too)
matches nothing, so it never grants access; :func:`regex_warnings` names the
policy line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from argosy.engine.glob import glob_match
from argosy.engine.regex import error_of, search_or_false
from argosy.server.rbac.policy import PolicyRule

GLOB = "glob"
REGEX = "regex"
MATCH_MODES = (GLOB, REGEX)
_MATCHED_FIELDS = ("resource", "action", "object")  # the p-rule fields globOrRegexMatch reads


def glob_value_match(value: str, pattern: str) -> bool:
    """True when the whole ``value`` matches the glob ``pattern`` (:mod:`argosy.engine.glob`,
    no separators: ``*`` also matches ``/``, as in Argo CD's RBAC)."""
    return glob_match(pattern, value)


def regex_match(value: str, pattern: str) -> bool:
    """True when ``pattern`` matches somewhere in ``value`` (Go ``regexp.MatchString``)."""
    return search_or_false(pattern, value)


def regex_warnings(rules: Iterable[PolicyRule]) -> list[str]:
    """Under ``policy.matchMode: regex``, each ``p`` rule field that is not a valid Go regular
    expression: the rule can never match, which the admin should hear about."""
    out: list[str] = []
    for rule in rules:
        if rule.ptype != "p":
            continue
        for name, pattern in zip(_MATCHED_FIELDS, rule.fields[1:4], strict=False):
            reason = error_of(pattern)
            if reason:
                out.append(
                    f"{rule.source} line {rule.line}: {name} {pattern!r} is not a valid regular "
                    f"expression ({reason}); with policy.matchMode 'regex' this rule never matches"
                )
    return out


def matcher_for(mode: str) -> Callable[[str, str], bool]:
    """The match function of a ``policy.matchMode`` value; anything but ``regex`` is glob, as in Argo CD."""
    return regex_match if mode == REGEX else glob_value_match
