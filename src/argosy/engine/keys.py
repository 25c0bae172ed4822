"""How Argosy names one Kubernetes object: group, kind, namespace, name.

One key type for the whole tree — the live cache indexes objects by it, the
comparison pairs desired and live objects with it, sync results and events
name objects with it — so nothing converts between look-alike keys. Like
gitops-engine's ``kube.ResourceKey``, the API version is not part of it: the
same object served under two versions is one object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple


class ResourceKey(NamedTuple):
    """Identity of an object: group, kind, namespace ('' if cluster-scoped), name."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> ResourceKey:
        """The key of a manifest or live object (``generateName`` stands in for a missing name)."""
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        api_version = str(obj.get("apiVersion") or "")
        group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
        name = str(meta.get("name") or meta.get("generateName") or "")
        return cls(group, str(obj.get("kind") or ""), str(meta.get("namespace") or ""), name)

    def __str__(self) -> str:
        """``Kind.group namespace/name`` (``Kind name`` when cluster-scoped), as users read it."""
        kind = f"{self.kind}.{self.group}" if self.group else self.kind
        where = f"{self.namespace}/{self.name}" if self.namespace else self.name
        return f"{kind} {where}"
