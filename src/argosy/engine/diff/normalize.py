"""Built-in normalisations applied to desired, live and last-applied alike.

Each one removes a difference that the API server (or a tool that wrote Git)
introduces without anyone changing intent: ``creationTimestamp: null`` in
exported manifests, ``stringData`` that the server folds into ``data``, empty
``rules`` on a Role, Endpoints subsets in another order, ``[]``/``{}``/``null``
where the server stores nothing.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from argosy.engine.diff.objects import group_of
from argosy.engine.jsoncopy import json_copy

# Keys whose empty map ``{}`` means something (an emptyDir volume) and must not
# be taken for "absent".
PRESENCE_KEYS = frozenset({"emptyDir"})


def prune_empty(value: Any) -> Any:
    """Drop ``null``, ``[]`` and ``{}`` map entries, recursively.

    Kubernetes does not store them, so ``annotations: {}`` in Git and no
    annotations in the cluster are the same object.
    """
    if isinstance(value, dict):
        return _prune_map(value)
    if isinstance(value, list):
        return _prune_list(value)
    return value


# Twice per object per comparison: the hottest pure function of a syncing controller (8 % of
# its CPU in a py-spy profile of 3,000 apps), so scalars are not recursed into and emptiness is
# tested without building ``({}, [])`` per key. Every map and list is a new one: the result
# shares no container with ``value``.
def _prune_map(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if item is None:
            continue
        if isinstance(item, dict):
            item = _prune_map(item)
            if not item and key not in PRESENCE_KEYS:
                continue
        elif isinstance(item, list):
            item = _prune_list(item)
            if not item and key not in PRESENCE_KEYS:
                continue
        out[key] = item
    return out


def _prune_list(value: list[Any]) -> list[Any]:
    return [
        _prune_map(item) if isinstance(item, dict) else _prune_list(item) if isinstance(item, list) else item
        for item in value
    ]


def normalize_secret(obj: dict[str, Any]) -> None:
    """Fold ``stringData`` into base64 ``data`` and read ``null`` values as empty.

    Redacted or otherwise non-base64 values are left as they are: a diff must
    never fail on them.
    """
    data = obj.get("data")
    if data is not None and not isinstance(data, dict):
        return
    string_data = obj.get("stringData")
    if isinstance(string_data, dict) and string_data:
        if not all(isinstance(v, str) or v is None for v in string_data.values()):
            return  # invalid Secret: leave it so the diff shows it as written
        merged = dict(data or {})
        for key, text in string_data.items():
            merged[key] = base64.b64encode((text or "").encode()).decode()
        obj["data"] = merged
        del obj["stringData"]
        data = merged
    if isinstance(data, dict):
        obj["data"] = {k: ("" if v is None else v) for k, v in data.items()}


def normalize_role(obj: dict[str, Any], ignore_aggregated_roles: bool) -> None:
    """Empty ``rules`` equal no rules; an aggregated role's rules belong to the controller."""
    if ignore_aggregated_roles and isinstance(obj.get("aggregationRule"), dict):
        obj["rules"] = None
    if obj.get("rules") == []:
        obj["rules"] = None


def _sort_key(item: Any) -> str:
    return json.dumps(item, sort_keys=True, separators=(",", ":"))


def normalize_endpoints(obj: dict[str, Any]) -> None:
    """Sort subsets, their addresses and ports; default port protocol to TCP.

    The endpoints controller and ``kubectl`` order these freely.
    """
    subsets = obj.get("subsets")
    if not isinstance(subsets, list):
        return
    for subset in subsets:
        if not isinstance(subset, dict):
            return
        for addr_key in ("addresses", "notReadyAddresses"):
            addrs = subset.get(addr_key)
            if isinstance(addrs, list):
                subset[addr_key] = sorted(addrs, key=_sort_key)
        ports = subset.get("ports")
        if isinstance(ports, list):
            for port in ports:
                if isinstance(port, dict) and not port.get("protocol"):
                    port["protocol"] = "TCP"
            subset["ports"] = sorted(ports, key=_sort_key)
    obj["subsets"] = sorted(subsets, key=_sort_key)


def normalize(obj: dict[str, Any], *, ignore_aggregated_roles: bool = False) -> dict[str, Any]:
    """A normalised deep copy of ``obj`` (which is left untouched)."""
    kind = obj.get("kind")
    group = group_of(obj)
    if group == "" and kind == "Secret":
        out = json_copy(obj)
        normalize_secret(out)
    elif group == "rbac.authorization.k8s.io" and kind in ("Role", "ClusterRole"):
        out = json_copy(obj)
        normalize_role(out, ignore_aggregated_roles)
    elif group == "" and kind == "Endpoints":
        out = json_copy(obj)
        normalize_endpoints(out)
    else:
        out = obj  # pruning copies every map and list: no edit reaches ``obj``
    pruned = _prune_map(out)
    metadata = pruned.get("metadata")
    if isinstance(metadata, dict) and metadata.pop("creationTimestamp", None) is not None and not metadata:
        del pruned["metadata"]
    return pruned


def drop_namespace(obj: dict[str, Any]) -> dict[str, Any]:
    """Forget ``metadata.namespace``: identity is matched before diffing, and Git
    often leaves it to the Application's destination."""
    metadata = obj.get("metadata")
    if isinstance(metadata, dict) and "namespace" in metadata:
        obj = dict(obj)
        obj["metadata"] = {k: v for k, v in metadata.items() if k != "namespace"}
    return obj
