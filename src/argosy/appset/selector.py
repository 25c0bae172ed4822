"""Kubernetes label selectors (``matchLabels`` + ``matchExpressions``) over a string map.

The cluster generator matches them against a cluster Secret's labels, and
every generator's ``selector`` against its flattened parameters (where values
may be URLs, so the label-value syntax is not enforced there).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")


class SelectorError(ValueError):
    """A selector that cannot be evaluated; the message names the expression."""


def is_empty(selector: Mapping[str, Any] | None) -> bool:
    return not selector or (not selector.get("matchLabels") and not selector.get("matchExpressions"))


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """All ``matchLabels`` and all ``matchExpressions`` hold for ``labels``."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != str(value):
            return False
    for i, expr in enumerate(selector.get("matchExpressions") or []):
        key = str(expr.get("key", ""))
        op = str(expr.get("operator", ""))
        values = [str(v) for v in expr.get("values") or []]
        if op == "In":
            if key not in labels or labels[key] not in values:
                return False
        elif op == "NotIn":
            if key in labels and labels[key] in values:
                return False
        elif op == "Exists":
            if key not in labels:
                return False
        elif op == "DoesNotExist":
            if key in labels:
                return False
        else:
            raise SelectorError(
                f"matchExpressions[{i}] (key {key!r}): operator {op!r} is not one of {', '.join(OPERATORS)}"
            )
    return True
