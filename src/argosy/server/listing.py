"""Filtering, ``fields=`` projection and pagination of application lists and streams.

The rules a list request states in its query — Kubernetes label selectors,
Argo CD's ``fields`` projection (``items.metadata.name,items.status.sync.status``
for lists, ``result.application.metadata.name`` for streams) and Kubernetes'
``limit`` + ``continue`` paging — applied to objects in memory, the same way
for ``GET /api/v1/applications`` and ``GET /api/v1/stream/applications``.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import itertools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from argosy.server.errors import INVALID_ARGUMENT, APIError

Matcher = Callable[[Mapping[str, Any]], bool]

_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
_SET_RULE = re.compile(r"^\s*([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


def _split_selector(selector: str) -> list[str]:
    """Split on commas outside parentheses (``env in (a,b),tier=web``)."""
    parts, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _label_rule_holds(labels: Mapping[str, str], op: str, key: str, values: frozenset[str]) -> bool:
    if op == "in":
        return labels.get(key) in values
    if op == "notin":
        return labels.get(key) not in values
    if op == "=":
        return key in labels and labels[key] in values
    if op == "!=":
        return labels.get(key) not in values
    if op == "!":
        return key not in labels
    return key in labels  # "exists"


def label_matcher(selector: str) -> Matcher:
    """A Kubernetes label selector (``a=b``, ``a==b``, ``a!=b``, ``a``, ``!a``,
    ``a in (x,y)``, ``a notin (x,y)``) as a predicate on an object's labels.

    Raises a 400 naming the part it cannot read.
    """
    rules: list[tuple[str, str, frozenset[str]]] = []
    for part in _split_selector(selector):
        found = _SET_RULE.match(part)
        if found:
            values = frozenset(v.strip() for v in found.group(3).split(",") if v.strip())
            rules.append((found.group(2), found.group(1), values))
        elif "!=" in part:
            key, value = (s.strip() for s in part.split("!=", 1))
            rules.append(("!=", key, frozenset([value])))
        elif "=" in part:
            key, value = (s.strip() for s in part.split("=", 1))
            rules.append(("=", key, frozenset([value.lstrip("=").strip()])))
        elif re.fullmatch(r"![A-Za-z0-9_./-]+", part):
            rules.append(("!", part[1:], frozenset()))
        elif re.fullmatch(r"[A-Za-z0-9_./-]+", part):
            rules.append(("exists", part, frozenset()))
        else:
            rules.append(("", part, frozenset()))
        op, key, values = rules[-1]
        if not op or not _KEY.match(key) or not all(_VALUE.match(v) for v in values):
            raise APIError(
                INVALID_ARGUMENT,
                f"cannot read label selector {selector!r} at {part!r}: use key=value, key!=value, "
                "key, !key, key in (a,b) or key notin (a,b) with Kubernetes label keys and values",
            )

    def matches(obj: Mapping[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(_label_rule_holds(labels, op, key, values) for op, key, values in rules)

    return matches


def repo_urls(app: Mapping[str, Any]) -> list[str]:
    spec = app.get("spec") or {}
    sources = [spec["source"]] if spec.get("source") else list(spec.get("sources") or [])
    return [str(s.get("repoURL") or "") for s in sources if isinstance(s, Mapping)]


def _normal_repo(url: str) -> str:
    return url.strip().lower().removesuffix("/").removesuffix(".git")


def repo_matcher(repo: str) -> Matcher:
    """Argo CD's ``repo`` filter: an app any of whose sources comes from that repository."""
    wanted = _normal_repo(repo)
    return lambda app: any(_normal_repo(u) == wanted for u in repo_urls(app))


# ------------------------------------------------------------- projection
def parse_fields(fields: Iterable[str] | None) -> list[list[str]]:
    """``fields`` as given (repeated or comma-separated) -> dotted paths split in parts."""
    paths: list[list[str]] = []
    for entry in fields or ():
        for path in entry.split(","):
            if path.strip():
                paths.append(path.strip().split("."))
    return paths


FieldTree = dict[str, Any]
"""Paths compiled to a tree: ``{"metadata": {"name": None}}``; None keeps the whole value."""


def compile_fields(paths: list[list[str]]) -> FieldTree:
    tree: FieldTree = {}
    for path in paths:
        node = tree
        for i, key in enumerate(path):
            if i == len(path) - 1:
                node[key] = None  # the whole value, even if a deeper path named part of it
            elif node.get(key, {}) is None:
                break  # an ancestor is kept whole already
            else:
                node = node.setdefault(key, {})
    return tree


def project(obj: Any, paths: list[list[str]]) -> Any:
    """Only the listed paths of ``obj`` (lists are projected item by item); ``[]`` keeps all."""
    if not paths:
        return obj
    return project_tree(obj, compile_fields(paths))


def project_tree(obj: Any, tree: FieldTree | None) -> Any:
    if tree is None:
        return obj
    if isinstance(obj, list):
        return [project_tree(item, tree) for item in obj]
    if not isinstance(obj, dict):
        return obj
    return {key: project_tree(obj[key], sub) for key, sub in tree.items() if key in obj}


def under(paths: list[list[str]], prefix: list[str]) -> list[list[str]]:
    """The paths below ``prefix`` (``items`` for lists, ``result.application`` for streams)."""
    n = len(prefix)
    return [p[n:] for p in paths if p[:n] == prefix]


# ------------------------------------------------------------- pagination
def encode_continue(last_name: str, resource_version: str) -> str:
    raw = json.dumps({"after": last_name, "rv": resource_version}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_continue(token: str) -> str:
    """The name after which the next page starts; 400 when the token was not ours."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        return str(data["after"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise APIError(
            INVALID_ARGUMENT, f"continue token {token!r} is not one this server gave: list again without it"
        ) from None


def page(
    items: list[dict[str, Any]],
    limit: int,
    cont: str,
    resource_version: str,
    keep: Callable[[dict[str, Any]], bool] = lambda _: True,
) -> tuple[list[dict[str, Any]], str]:
    """One page of the ``items`` (sorted by name) that ``keep`` accepts, and the next
    ``continue`` token ("" on the last page).

    ``keep`` (filters, RBAC) is asked only from the token's position until the page is full
    plus one more item, so each page of a 10,000-app list costs its own size, not the list's.
    """
    if limit < 0:
        raise APIError(INVALID_ARGUMENT, f"limit must be 0 (no limit) or more, not {limit}")
    start = 0
    if cont:
        after = decode_continue(cont)
        start = bisect.bisect_right(items, after, key=lambda a: str(a["metadata"]["name"]))
    chunk: list[dict[str, Any]] = []
    for item in itertools.islice(items, start, None):
        if not keep(item):
            continue
        if limit and len(chunk) == limit:
            return chunk, encode_continue(str(chunk[-1]["metadata"]["name"]), resource_version)
        chunk.append(item)
    return chunk, ""
