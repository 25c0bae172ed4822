"""Kubernetes resource quantities and int-or-string values, compared by meaning.

The API server canonicalises ``cpu: 0.5`` to ``500m`` and ``memory: 1Gi`` stays
``1Gi`` while ``1073741824`` stays a number: Git and the cluster spell the same
amount differently, which must not count as drift.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_QUANTITY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?\d+|[numkMGTPE]?)$")

# Map keys whose values are quantities (container resources, LimitRange,
# ResourceQuota, PVC requests, node capacity) and scalar keys that hold one.
QUANTITY_PARENT_KEYS = frozenset(
    {
        "limits",
        "requests",
        "hard",
        "used",
        "capacity",
        "allocatable",
        "max",
        "min",
        "default",
        "defaultRequest",
        "maxLimitRequestRatio",
        "overhead",
    }
)
QUANTITY_KEYS = frozenset({"sizeLimit"})

# Fields typed IntOrString in the core API: ``8080`` and ``"8080"`` are one value
# (a string port must name a port, so a numeric string can only mean the number).
INT_OR_STRING_KEYS = frozenset({"targetPort", "port", "maxSurge", "maxUnavailable", "minAvailable"})


def parse_quantity(value: Any) -> Decimal | None:
    """The amount a quantity denotes, or None when ``value`` is not a quantity."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if not match:
        return None
    number, suffix = match.groups()
    try:
        amount = Decimal(number)
    except InvalidOperation:
        return None
    if suffix in _BINARY:
        return amount * _BINARY[suffix]
    if suffix and suffix[0] in "eE":
        return amount.scaleb(int(suffix[1:]))
    return amount * _DECIMAL[suffix]


def is_quantity_context(path: tuple[str | int, ...]) -> bool:
    """Whether the scalar at ``path`` is a resource quantity."""
    if not path or not isinstance(path[-1], str):
        return False
    if path[-1] in QUANTITY_KEYS:
        return True
    return len(path) >= 2 and isinstance(path[-2], str) and path[-2] in QUANTITY_PARENT_KEYS


def scalars_equal(a: Any, b: Any, path: tuple[str | int, ...] = ()) -> bool:
    """Equality of two leaf values as the API server sees them.

    ``True`` and ``1`` differ (Python would say equal); ``1`` and ``1.0`` are the
    same JSON number; quantities and int-or-string fields compare by meaning.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if a == b and type(a) is type(b):
        return True
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    key = path[-1] if path else None
    if isinstance(key, str) and key in INT_OR_STRING_KEYS:
        sa, sb = str(a), str(b)
        if isinstance(a, int | str) and isinstance(b, int | str) and sa == sb and sa.lstrip("-").isdigit():
            return True
    if is_quantity_context(path):
        qa, qb = parse_quantity(a), parse_quantity(b)
        return qa is not None and qb is not None and qa == qb
    return False
