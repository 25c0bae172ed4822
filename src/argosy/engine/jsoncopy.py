"""Deep copies of Kubernetes objects, fast.

Every comparison copies desired, predicted and live objects before it
normalises them; with ``copy.deepcopy`` that was a quarter of the
controller's CPU for a fleet (profiled with yappi over a 100-app sync). An
orjson round trip copies the same JSON-shaped data several times faster.
Values that are not plain JSON — dates YAML parsed from a manifest, non-string
keys, integers beyond 64 bits — fall back to ``copy.deepcopy``. Two values do
not survive the round trip and cannot occur in a Kubernetes object (the API
speaks JSON): a float NaN (written as null) and a tuple (read back as a list).
"""

from __future__ import annotations

import copy
from typing import TypeVar

import orjson

T = TypeVar("T")


def json_copy(value: T) -> T:
    """A deep copy of ``value`` (exact; fast when it is plain JSON)."""
    try:
        copied: T = orjson.loads(orjson.dumps(value))
    except (TypeError, orjson.JSONEncodeError):
        return copy.deepcopy(value)
    return copied
