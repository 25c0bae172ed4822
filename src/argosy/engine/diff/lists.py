"""How lists of objects line up between Git and the cluster.

Kubernetes merges many lists by a key (containers by ``name``, container ports
by ``containerPort``, Service ports by ``port``...), so an element the server or
another controller added is not drift, and elements match by key, not position.
Lists without a merge key are replaced whole, as ``kubectl apply`` does.
"""

from __future__ import annotations

from typing import Any

# Strategic-merge keys of the core API by list field name; the first candidate
# present in every element wins.
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "ephemeralContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "volumeDevices": ("devicePath",),
    "imagePullSecrets": ("name",),
    "secrets": ("name",),
    "ports": ("containerPort", "port"),
    "hostAliases": ("ip",),
    "conditions": ("type",),
    "ownerReferences": ("uid",),
    "webhooks": ("name",),
    "topologySpreadConstraints": ("topologyKey",),
    "resourceClaims": ("name",),
    "schedulingGates": ("name",),
    "readinessGates": ("conditionType",),
}


def merge_key(field: str | int | None, *lists: list[Any]) -> str | None:
    """The key that identifies elements of the list at ``field``, if it has one.

    The key must be present and unique in every given list, otherwise elements
    cannot be matched by it and the list is treated as atomic.
    """
    if not isinstance(field, str) or field not in MERGE_KEYS:
        return None
    for candidate in MERGE_KEYS[field]:
        if all(_unique_key(items, candidate) for items in lists):
            return candidate
    return None


def _unique_key(items: list[Any], key: str) -> bool:
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, dict) or key not in item:
            return False
        marker = repr(item[key])
        if marker in seen:
            return False
        seen.add(marker)
    return True


def index_by(items: list[Any], key: str) -> dict[str, int]:
    """Position of each element by the string form of its key (``80`` and ``"80"`` match)."""
    return {str(item[key]): i for i, item in enumerate(items)}
