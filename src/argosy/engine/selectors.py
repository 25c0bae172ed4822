"""Kubernetes label selectors (``matchLabels`` + ``matchExpressions``) on a label map, pure.

Every requirement must hold; operators ``In``, ``NotIn``, ``Exists``,
``DoesNotExist``. An unknown operator is an error naming it (Kubernetes
rejects such a selector too), never a silent match.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SelectorError(ValueError):
    """The selector is malformed; the text names the requirement."""


def matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str] | None) -> bool:
    """True when ``labels`` satisfy ``selector`` (an empty selector matches everything)."""
    labels = labels or {}
    selector = selector or {}
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(str(key)) != str(value):
            return False
    for i, req in enumerate(selector.get("matchExpressions") or []):
        key, op = str(req.get("key") or ""), str(req.get("operator") or "")
        values = [str(v) for v in req.get("values") or []]
        if op == "In":
            ok = key in labels and labels[key] in values
        elif op == "NotIn":
            ok = key not in labels or labels[key] not in values
        elif op == "Exists":
            ok = key in labels
        elif op == "DoesNotExist":
            ok = key not in labels
        else:
            raise SelectorError(
                f"matchExpressions[{i}]: operator {op!r} is not In, NotIn, Exists or DoesNotExist"
            )
        if not ok:
            return False
    return True
