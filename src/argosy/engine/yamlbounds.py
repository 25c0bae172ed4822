"""Load YAML from repositories with bounded cost: alias bombs, deep nesting and cycles refused.

PyYAML builds an alias as a shared reference, so a "billion laughs" document
of a few hundred bytes parses in microseconds and then explodes wherever the
objects are walked (JSON encoding for the render cache, diff, apply): 10⁸
nodes cost minutes of CPU and gigabytes. Kubernetes and Argo CD read YAML with
go-yaml, which refuses such documents with "document contains excessive
aliasing"; this module applies the same rule, on the composed node graph and
before any Python object is built:

* the document's size *with aliases expanded* is computed from the shared
  graph in time linear in its distinct nodes, and the document is refused when
  aliases account for more of it than go-yaml's ``allowedAliasRatio`` allows
  (any ratio up to 400,000 nodes, sliding down to 10 % at 4,000,000);
* nesting deeper than :data:`MAX_DEPTH` (counted through aliases) is refused:
  the controller's diff, deep copies and JSON encoding recurse per level, and a
  document deeper than Python's recursion limit would fail there, far from the
  file that caused it. libyaml stops at 1,000 levels by itself; the pure-Python
  composer (used by SOPS' Go-typed loader) would hit ``RecursionError`` first,
  so it is limited while composing;
* an alias that refers to its own ancestor (``&a [*a]``) is refused: the
  object would be cyclic and no Kubernetes object is.

Duplicate mapping keys are accepted with the last value winning, as Argo CD's
``SplitYAML`` (``sigs.k8s.io/yaml``, non-strict) does; they are reported so the
caller can warn. Errors are :class:`YAMLLimitError`, a ``MarkedYAMLError``, so
every caller that already turns YAML errors into messages naming the file and
line handles them unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_DEPTH = 200
ALIAS_RATIO_LOW = 400_000
ALIAS_RATIO_HIGH = 4_000_000


class YAMLLimitError(yaml.MarkedYAMLError):
    """A document is refused because reading it would cost unbounded time or memory."""


@dataclass
class Shape:
    """What loading one document would build: expanded node count, collections nested, duplicates."""

    nodes: int = 0
    tree_nodes: int = 0
    depth: int = 0
    duplicate_keys: list[tuple[str, int]] = field(default_factory=list)


def allowed_alias_ratio(nodes: int) -> float:
    """go-yaml's ``allowedAliasRatio``: the share of a document that may come from aliases."""
    if nodes <= ALIAS_RATIO_LOW:
        return 0.99
    if nodes >= ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (nodes - ALIAS_RATIO_LOW) / (ALIAS_RATIO_HIGH - ALIAS_RATIO_LOW)


def _duplicates(node: yaml.MappingNode, out: list[tuple[str, int]]) -> None:
    seen: set[tuple[str, str]] = set()
    for key, _ in node.value:
        if key.__class__ is not _SCALAR or key.tag == "tag:yaml.org,2002:merge":
            continue
        ident = (key.tag, str(key.value))
        if ident in seen:
            out.append((str(key.value), key.start_mark.line + 1))
        seen.add(ident)


def _fail(problem: str, node: yaml.Node) -> YAMLLimitError:
    return YAMLLimitError(problem=problem, problem_mark=node.start_mark)


_SCALAR, _MAPPING = yaml.ScalarNode, yaml.MappingNode


def measure(root: yaml.Node) -> Shape:
    """The shape of ``root`` with aliases expanded, without expanding them (iterative: no recursion).

    Raises :class:`YAMLLimitError` for a cycle or nesting deeper than :data:`MAX_DEPTH`.
    Written for speed: it visits every node of every manifest.
    """
    shape = Shape()
    if root.__class__ is _SCALAR:
        shape.nodes = shape.tree_nodes = 1
        return shape
    done: dict[int, tuple[int, int]] = {}  # id(collection) -> (expanded size, depth)
    active: set[int] = set()
    # (node, its collection children, next child to visit, its scalar children)
    stack: list[tuple[yaml.Node, list[yaml.Node], int, int]] = []
    tree_nodes = 0
    node: yaml.Node | None = root
    while True:
        if node is not None:  # enter ``node``
            if node.__class__ is _MAPPING:
                _duplicates(node, shape.duplicate_keys)
                parts = [part for pair in node.value for part in pair]
            else:
                parts = node.value
            collections = [c for c in parts if c.__class__ is not _SCALAR]
            scalars = len(parts) - len(collections)
            tree_nodes += 1 + scalars
            active.add(id(node))
            stack.append((node, collections, 0, scalars))
            if len(stack) > MAX_DEPTH:
                raise _fail(f"nested deeper than {MAX_DEPTH} levels", node)
            node = None
        current, collections, i, scalars = stack[-1]
        if i < len(collections):
            stack[-1] = (current, collections, i + 1, scalars)
            child = collections[i]
            key = id(child)
            if key in active:
                raise _fail("an alias refers to the collection that contains it (a cycle)", child)
            if key in done:
                if len(stack) + done[key][1] > MAX_DEPTH:
                    raise _fail(f"nested deeper than {MAX_DEPTH} levels (through an alias)", child)
                continue
            node = child
            continue
        stack.pop()
        active.discard(id(current))
        size, depth = 1 + scalars, 1
        for child in collections:
            child_size, child_depth = done[id(child)]
            size += child_size
            if child_depth >= depth:
                depth = child_depth + 1
        done[id(current)] = (size, depth)
        if not stack:
            break
    shape.nodes, shape.depth = done[id(root)]
    shape.tree_nodes = tree_nodes
    return shape


def check(root: yaml.Node) -> Shape:
    """:func:`measure`, then go-yaml's excessive-aliasing rule."""
    shape = measure(root)
    aliased = shape.nodes - shape.tree_nodes
    if aliased > 100 and shape.nodes > 1000 and aliased / shape.nodes > allowed_alias_ratio(shape.nodes):
        raise _fail(
            f"document contains excessive aliasing: {shape.nodes:,} nodes once aliases are expanded, "
            f"{aliased:,} of them through aliases",
            root,
        )
    return shape


class DepthLimitedComposer:
    """Mixin for pure-Python loaders: refuse deep nesting while composing, before RecursionError."""

    _depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:  # + 1: the scalar leaf under MAX_DEPTH collections
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise YAMLLimitError(problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=mark)
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


class SafeLoader(DepthLimitedComposer, yaml.SafeLoader):
    """The pure-Python safe loader with the composer's depth limit (when libyaml is missing)."""


def _default() -> Any:
    """libyaml's loader (its composer stops at 1,000 levels by itself), else the pure-Python one."""
    return getattr(yaml, "CSafeLoader", SafeLoader)


@dataclass
class LoadedDocument:
    value: Any
    line: int
    shape: Shape


def documents(text: str | bytes, loader: Any = None) -> Iterator[LoadedDocument]:
    """Each document of ``text``, composed, checked, then constructed (raises ``yaml.YAMLError``).

    ``loader`` is a PyYAML loader class (default: libyaml's safe loader); a
    pure-Python one should include :class:`DepthLimitedComposer`.
    """
    instance = (loader or _default())(text)
    try:
        while instance.check_node():
            node = instance.get_node()
            shape = check(node)
            yield LoadedDocument(instance.construct_document(node), node.start_mark.line + 1, shape)
    finally:
        instance.dispose()


def check_all(text: str | bytes, loader: Any = None) -> None:
    """Compose every document of ``text`` and apply :func:`check`, building no objects: for files
    another tool will parse (kustomize expands an alias bomb until its timeout kills it)."""
    instance = (loader or _default())(text)
    try:
        while instance.check_node():
            check(instance.get_node())
    finally:
        instance.dispose()


def load_all(text: str | bytes, loader: Any = None) -> list[Any]:
    """Every document's value (``yaml.safe_load_all``, bounded)."""
    return [doc.value for doc in documents(text, loader)]


def load(text: str | bytes, loader: Any = None) -> Any:
    """The single document of ``text`` (``yaml.safe_load``, bounded); ``None`` when empty."""
    instance = (loader or _default())(text)
    try:
        node = instance.get_single_node()  # ComposerError when the stream holds several documents
        if node is None:
            return None
        check(node)
        return instance.construct_document(node)
    finally:
        instance.dispose()


def too_deep(value: Any) -> bool:
    """True when the built value ``value`` (e.g. from ``json.loads``) nests deeper than :data:`MAX_DEPTH`."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > MAX_DEPTH:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def load_json(text: str) -> Any:
    """``json.loads`` with the same nesting limit (raises ``json.JSONDecodeError`` or
    :class:`YAMLLimitError`); Python's decoder would otherwise raise ``RecursionError``."""
    try:
        value = json.loads(text)
    except RecursionError:
        value, deep = None, True
    else:
        deep = too_deep(value)
    if deep:
        raise YAMLLimitError(problem=f"nested deeper than {MAX_DEPTH} levels")
    return value
