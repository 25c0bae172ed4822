"""Small accessors for Kubernetes objects held as plain dicts (parsed YAML/JSON)."""

from __future__ import annotations

import json
from typing import Any

LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
COMPARE_OPTIONS_ANNOTATION = "argocd.argoproj.io/compare-options"

Path = tuple[str | int, ...]


def group_of(obj: dict[str, Any]) -> str:
    """The API group of ``apiVersion`` (``""`` for the core group)."""
    api_version = obj.get("apiVersion")
    if not isinstance(api_version, str) or "/" not in api_version:
        return ""
    return api_version.split("/", 1)[0]


def metadata(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def annotations_of(obj: dict[str, Any]) -> dict[str, Any]:
    ann = metadata(obj).get("annotations")
    return ann if isinstance(ann, dict) else {}


def labels_of(obj: dict[str, Any]) -> dict[str, Any]:
    lab = metadata(obj).get("labels")
    return lab if isinstance(lab, dict) else {}


def name_of(obj: dict[str, Any]) -> str:
    return str(metadata(obj).get("name") or "")


def namespace_of(obj: dict[str, Any]) -> str:
    return str(metadata(obj).get("namespace") or "")


def describe(obj: dict[str, Any] | None) -> str:
    """``group/Kind namespace/name`` for messages."""
    if not obj:
        return "<none>"
    group = group_of(obj)
    kind = obj.get("kind") or "<no kind>"
    gk = f"{group}/{kind}" if group else str(kind)
    ns = namespace_of(obj)
    return f"{gk} {ns + '/' if ns else ''}{name_of(obj) or '<no name>'}"


def last_applied(live: dict[str, Any] | None) -> dict[str, Any] | None:
    """The object ``kubectl apply`` recorded on ``live``, or None (absent or unreadable).

    An unreadable annotation makes the diff two-way, as in Argo CD, rather than fail.
    """
    if not live:
        return None
    raw = annotations_of(live).get(LAST_APPLIED_ANNOTATION)
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def to_pointer(path: Path) -> str:
    """An RFC 6901 JSON pointer for a path of keys and list indexes."""
    if not path:
        return ""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
