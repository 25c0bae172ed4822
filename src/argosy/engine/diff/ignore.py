"""ignoreDifferences: fields that never count as drift.

Rules come from three places, as in Argo CD:

* the Application's ``spec.ignoreDifferences`` (``group``, ``kind``, optional
  ``name``/``namespace``, with ``jsonPointers``, ``jqPathExpressions`` and
  ``managedFieldsManagers``);
* ``resource.customizations.ignoreDifferences.<group_kind>`` (and ``.all``) in
  ``argocd-cm``;
* ``resource.compareoptions`` ``ignoreResourceStatusField`` (``/status`` of
  CRDs, of all objects, or none).

A matching rule removes the fields from desired, live and last-applied alike
before comparing, so whatever they hold, they are equal.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import jsonpointer

from argosy.engine.diff.objects import group_of, name_of, namespace_of
from argosy.engine.jqpaths import IN_PROCESS, JqLimitError, JqRunner, compiled
from argosy.engine.jsoncopy import json_copy
from argosy.settings.resource_customizations import ResourceOverride


class IgnoreRuleError(ValueError):
    """An ignoreDifferences rule is malformed; the message says where and how to fix it."""


class IgnoreRuleLimitError(Exception):
    """A rule's jq expression hit its time or memory limit on an object.

    Not a ``ValueError``: the rule is well-formed, the comparison could not be
    made, and the caller must report it (sync status Unknown) rather than
    compare without the rule (which would show ignored fields as drift).
    """


@dataclass(frozen=True)
class IgnoreRule:
    """One ignoreDifferences entry. ``group``/``kind`` may be globs (``*``)."""

    group: str = "*"
    kind: str = "*"
    name: str = ""
    namespace: str = ""
    json_pointers: tuple[str, ...] = ()
    jq_path_expressions: tuple[str, ...] = ()
    managed_fields_managers: tuple[str, ...] = ()
    source: str = field(default="", compare=False)

    def matches(self, obj: dict[str, Any]) -> bool:
        """Whether this rule applies to ``obj`` (its group, kind, name and namespace)."""
        return (
            (self.group == "*" or fnmatch.fnmatchcase(group_of(obj), self.group or ""))
            and (self.kind == "*" or fnmatch.fnmatchcase(str(obj.get("kind") or ""), self.kind or ""))
            and (not self.name or self.name == name_of(obj))
            and (not self.namespace or self.namespace == namespace_of(obj))
        )


def _strings(value: Any, where: str, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IgnoreRuleError(f"{where}: {what} must be a list of strings, got {value!r}")
    return tuple(value)


def _validate(rule: IgnoreRule, where: str) -> IgnoreRule:
    for pointer in rule.json_pointers:
        try:
            jsonpointer.JsonPointer(pointer)
        except jsonpointer.JsonPointerException as exc:
            raise IgnoreRuleError(
                f"{where}: jsonPointers entry {pointer!r} is not a JSON pointer ({exc}); "
                "write it like /spec/replicas, escaping '/' in keys as ~1"
            ) from exc
    for expression in rule.jq_path_expressions:
        try:
            compiled(expression)
        except ValueError as exc:
            first = str(exc).splitlines()[0]
            raise IgnoreRuleError(
                f"{where}: jqPathExpressions entry {expression!r} does not compile ({first}); "
                'write a path expression like .spec.template.spec.initContainers[] | select(.name == "x")'
            ) from exc
    return rule


def rule_from_mapping(
    entry: Any, where: str, group: str | None = None, kind: str | None = None
) -> IgnoreRule:
    """Parse one rule; ``group``/``kind`` are given for argocd-cm overrides (from the key)."""
    if not isinstance(entry, dict):
        raise IgnoreRuleError(f"{where}: expected a mapping with kind/group and jsonPointers, got {entry!r}")
    rule = IgnoreRule(
        group=str(entry.get("group") or "") if group is None else group,
        kind=str(entry.get("kind") or "") if kind is None else kind,
        name=str(entry.get("name") or ""),
        namespace=str(entry.get("namespace") or ""),
        json_pointers=_strings(entry.get("jsonPointers"), where, "jsonPointers"),
        jq_path_expressions=_strings(entry.get("jqPathExpressions"), where, "jqPathExpressions"),
        managed_fields_managers=_strings(entry.get("managedFieldsManagers"), where, "managedFieldsManagers"),
        source=where,
    )
    if group is None and not rule.kind:
        raise IgnoreRuleError(f"{where}: kind is required (use '*' for every kind)")
    return _validate(rule, where)


def rules_from_application(ignore_differences: Sequence[Any] | None, app: str = "") -> list[IgnoreRule]:
    """Rules of an Application's ``spec.ignoreDifferences`` list."""
    prefix = f"Application {app!r} " if app else ""
    if ignore_differences is None:
        return []
    if not isinstance(ignore_differences, list):
        raise IgnoreRuleError(f"{prefix}spec.ignoreDifferences must be a list of rules")
    return [
        rule_from_mapping(entry, f"{prefix}spec.ignoreDifferences[{i}]")
        for i, entry in enumerate(ignore_differences)
    ]


def _override_group_kind(key: str) -> tuple[str, str]:
    if key in ("*/*", "all"):
        return "*", "*"
    if "/" in key:
        group, kind = key.split("/", 1)
        return group, kind
    return "", key


def rules_from_overrides(overrides: dict[str, ResourceOverride]) -> list[IgnoreRule]:
    """Rules of ``resource.customizations`` ignoreDifferences in ``argocd-cm``."""
    rules: list[IgnoreRule] = []
    for key in sorted(overrides):
        spec = overrides[key].ignore_differences
        if not spec:
            continue
        group, kind = _override_group_kind(key)
        where = f"argocd-cm resource.customizations.ignoreDifferences for {key!r}"
        rules.append(rule_from_mapping(spec, where, group=group, kind=kind))
    return rules


def matching(rules: Iterable[IgnoreRule], obj: dict[str, Any] | None) -> list[IgnoreRule]:
    """The rules that apply to ``obj``."""
    if not obj:
        return []
    return [r for r in rules if r.matches(obj)]


def managers_of(rules: Iterable[IgnoreRule]) -> frozenset[str]:
    return frozenset(m for r in rules for m in r.managed_fields_managers)


def apply_rules(
    obj: dict[str, Any],
    rules: Iterable[IgnoreRule],
    *,
    in_place: bool = False,
    jq: JqRunner | None = None,
) -> dict[str, Any]:
    """``obj`` without the fields named by the rules' pointers and jq paths.

    A pointer to a missing field, or a jq path that does not fit the object,
    removes nothing (as in Argo CD), so one rule can serve objects of any shape.
    ``in_place``: ``obj`` is the caller's own copy and may be edited (no copy per pointer).
    ``jq``: where jq expressions run (services pass the bounded worker pool; the
    default runs them in this process without limits). Raises
    :class:`IgnoreRuleLimitError` naming the rule when an expression hit a limit.
    """
    runner = jq or IN_PROCESS
    doc = obj
    copied = in_place
    for rule in rules:
        for pointer in rule.json_pointers:
            if not copied:
                doc, copied = json_copy(doc), True
            _remove(doc, pointer)
        if rule.jq_path_expressions:
            try:
                doc = runner.delete_paths(rule.jq_path_expressions, doc)
            except JqLimitError as exc:
                where = rule.source or f"ignoreDifferences rule for kind {rule.kind!r}"
                raise IgnoreRuleLimitError(
                    f"{where}: {exc}; simplify the expression (it runs on every comparison of a "
                    "matching object) or raise controller.ignore.normalizer.jq.timeout in "
                    "argocd-cmd-params-cm"
                ) from exc
    return doc


def shallow(rules: Iterable[IgnoreRule]) -> bool:
    """Whether the rules only remove top-level fields (``/status``): then they cannot leave an
    emptied map or list behind, and an already pruned object needs no second pruning."""
    return all(_shallow(rule) for rule in rules)


@functools.lru_cache(maxsize=4096)
def _shallow(rule: IgnoreRule) -> bool:
    return not rule.jq_path_expressions and all(p.count("/") == 1 for p in rule.json_pointers)


@functools.lru_cache(maxsize=4096)
def _pointer(path: str) -> jsonpointer.JsonPointer | None:
    try:
        return jsonpointer.JsonPointer(path)
    except jsonpointer.JsonPointerException:
        return None


def _remove(doc: Any, path: str) -> None:
    """Remove the field at JSON pointer ``path`` from ``doc`` (in place) if it is there.

    jsonpointer resolves the path (escapes, array indices); the removal itself is a ``del``:
    ``jsonpatch.apply_patch`` built and checked a one-operation patch for every pointer of
    every object compared, ~8 % of a syncing controller's CPU with the default ``/status`` rule.
    """
    pointer = _pointer(path)
    if pointer is None or not pointer.parts:
        return  # malformed, or the whole document: removes nothing, as jsonpatch's refusal did
    try:
        parent, part = pointer.to_last(doc)
        del parent[part]
    except (jsonpointer.JsonPointerException, KeyError, IndexError, TypeError):
        return  # a missing field (or "-", the end of a list) removes nothing
