"""Semver constraints for Helm chart versions and Git tags (``1.2.*``, ``>=1.0 <2``, ``^1.2``, ``~1.2``).

Helm and Argo CD use Masterminds/semver: comma or space separated terms are
ANDed, ``||`` ORs groups, ``x``/``*`` are wildcards, a leading ``v`` is allowed,
and pre-releases match only when the constraint mentions a pre-release.
"""

from __future__ import annotations

import re

import semver

_OPS = ("<=", ">=", "!=", "=", "<", ">", "~", "^")
_LOOSE = re.compile(
    r"^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


def parse_version(text: str) -> semver.Version | None:
    m = _LOOSE.match(text.strip())
    if not m or any(p in ("x", "X", "*") for p in m.groups()[0:3] if p):
        return None
    major, minor, patch, pre = m.groups()
    return semver.Version(int(major), int(minor or 0), int(patch or 0), pre)


def is_constraint(text: str) -> bool:
    """True when ``text`` is a range rather than one exact version."""
    t = text.strip()
    if not t or parse_version(t) is not None:
        return False
    return any(c in t for c in "<>=~^*xX|, ") and _parse(t) is not None


def _wild(part: str | None) -> bool:
    return part is None or part in ("x", "X", "*")


def _term(term: str) -> list[tuple[str, semver.Version]] | None:
    op = next((o for o in _OPS if term.startswith(o)), "=")
    body = term[len(op) :].strip() if term.startswith(op) else term
    m = _LOOSE.match(body)
    if not m:
        return None
    major, minor, patch, pre = m.groups()
    if _wild(major):  # ``*``, ``x``, ``vx``: any release; ``<*``, ``>*``, ``!=*`` none (as Masterminds)
        zero = semver.Version(0, 0, 0)
        return [("<", zero)] if op in ("!=", "<", ">") else [(">=", zero)]
    lo = semver.Version(int(major), 0 if _wild(minor) else int(minor), 0 if _wild(patch) else int(patch), pre)
    if op in ("=", "") and (_wild(minor) or _wild(patch)):
        hi = lo.bump_major() if _wild(minor) else lo.bump_minor()
        return [(">=", lo), ("<", hi)]
    if op == "~":
        hi = lo.bump_major() if minor is None else lo.bump_minor()
        return [(">=", lo), ("<", hi)]
    if op == "^":
        if lo.major > 0 or minor is None:
            hi = lo.bump_major()
        elif lo.minor > 0 or patch is None:
            hi = lo.bump_minor()
        else:
            hi = lo.bump_patch()
        return [(">=", lo), ("<", hi)]
    if _wild(minor) or _wild(patch):
        if op in (">", "<="):
            lo = lo.bump_major() if _wild(minor) else lo.bump_minor()
            return [(">=" if op == ">" else "<", lo)]
        return [(op, lo)]
    return [(op, lo)]


def _parse(text: str) -> list[list[tuple[str, semver.Version]]] | None:
    groups = []
    for group in text.split("||"):
        normalized = re.sub(r"(<=|>=|!=|=|<|>|~|\^)\s+", r"\1", group.replace(",", " "))
        terms: list[tuple[str, semver.Version]] = []
        for raw in normalized.split():
            parsed = _term(raw)
            if parsed is None:
                return None
            terms += parsed
        if not terms:
            return None
        groups.append(terms)
    return groups


def _ok(op: str, v: semver.Version, bound: semver.Version) -> bool:
    c = v.compare(bound)
    return {"=": c == 0, "!=": c != 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]


def check_constraint(constraint: str) -> None:
    """Raise :class:`ValueError` when ``constraint`` is not a semver constraint (``latest``, ``1.2.a``)."""
    if _parse(constraint) is None:
        raise ValueError(f"improper constraint: {constraint}")


def matches(constraint: str, version: str) -> bool:
    groups = _parse(constraint)
    v = parse_version(version)
    if groups is None or v is None:
        return False
    for terms in groups:
        if v.prerelease and not any(b.prerelease for _, b in terms):
            continue
        if all(_ok(op, v, b) for op, b in terms):
            return True
    return False


def best_match(constraint: str, versions: list[str]) -> str | None:
    """The highest version satisfying ``constraint`` (the original spelling), or None."""
    candidates = [(parse_version(v), v) for v in versions if matches(constraint, v)]
    valid = [(p, v) for p, v in candidates if p is not None]
    return max(valid, key=lambda pv: pv[0])[1] if valid else None
