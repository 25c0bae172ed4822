"""Which Pods of an application a logs request may read, and how one log line is sent.

Argo CD serves ``/applications/{name}/logs`` only for Pods in the app's
resource tree: a Pod the app manages, or one a managed workload owns through
``ownerReferences`` (Deployment -> ReplicaSet -> Pod, StatefulSet, Job,
CronJob -> Job -> Pod...). The managed objects are the app's
``status.resources``; a Pod is the app's when walking its owner chain up on
the destination cluster reaches one of them. Anything else is refused, so
``logs, get`` on an app never opens a door to other Pods of the cluster.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
ObjKey = tuple[str, str, str, str]
"""(group, kind, namespace, name), as in ``status.resources``."""

MAX_PODS = 10
"""Pods whose logs one request may merge (Argo CD's ``maxPodLogsToRender``)."""
MAX_OWNER_DEPTH = 5


def managed_keys(app: Mapping[str, Any]) -> set[ObjKey]:
    resources = (app.get("status") or {}).get("resources") or []
    return {
        (
            str(r.get("group") or ""),
            str(r.get("kind") or ""),
            str(r.get("namespace") or ""),
            str(r.get("name") or ""),
        )
        for r in resources
        if isinstance(r, dict)
    }


def group_of(api_version: str) -> str:
    return api_version.split("/", 1)[0] if "/" in api_version else ""


def key_of(obj: Mapping[str, Any]) -> ObjKey:
    meta = obj.get("metadata") or {}
    return (
        group_of(str(obj.get("apiVersion") or "")),
        str(obj.get("kind") or ""),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )


def owner_chain(
    obj: Obj, namespace: str, get_owner: Callable[[str, str, str, str], Obj | None]
) -> list[ObjKey]:
    """The keys of ``obj``'s controllers up the chain (nearest first), read with ``get_owner``
    (group, kind, namespace, name) -> object or None; stops at a missing owner or depth 5."""
    chain: list[ObjKey] = []
    current: Obj | None = obj
    for _ in range(MAX_OWNER_DEPTH):
        refs = ((current or {}).get("metadata") or {}).get("ownerReferences") or []
        ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
        if not ref:
            break
        key = (
            group_of(str(ref.get("apiVersion") or "")),
            str(ref.get("kind") or ""),
            namespace,
            str(ref.get("name") or ""),
        )
        chain.append(key)
        current = get_owner(*key)
        if current is None:
            break
    return chain


def belongs_to(chain: list[ObjKey], managed: set[ObjKey], wanted: ObjKey | None = None) -> bool:
    """Whether a Pod (its own key first in ``chain``) is the app's, and under ``wanted`` when given.

    Owners of namespaced objects may be recorded cluster-scoped (namespace empty) only for
    cluster-scoped kinds, which never own Pods, so keys compare exactly."""
    if wanted is not None:
        if wanted not in chain:
            return False
        chain = chain[chain.index(wanted) :]
    return any(k in managed for k in chain)


@dataclass(frozen=True)
class LogLine:
    pod: str
    content: str
    timestamp: str


def parse_line(pod: str, raw: bytes) -> LogLine:
    """A ``timestamps=true`` line of ``pods/log``: RFC 3339 time, one space, the text."""
    text = raw.decode("utf-8", errors="replace")
    stamp, sep, content = text.partition(" ")
    if not sep or not stamp[:4].isdigit():
        return LogLine(pod, text, "")
    return LogLine(pod, content, stamp)


def entry(line: LogLine) -> bytes:
    """One newline-delimited JSON entry, as Argo CD's ``LogEntry`` stream."""
    result = {
        "content": line.content,
        "podName": line.pod,
        "timeStamp": line.timestamp,
        "timeStampStr": line.timestamp,
        "last": False,
    }
    return json.dumps({"result": result}, separators=(",", ":")).encode() + b"\n"


def last_entry() -> bytes:
    return b'{"result":{"content":"","podName":"","timeStampStr":"","last":true}}\n'


def default_container(pod: Mapping[str, Any]) -> str:
    """``kubectl.kubernetes.io/default-container``, else the first container (as kubectl)."""
    meta = pod.get("metadata") or {}
    annotated = str((meta.get("annotations") or {}).get("kubectl.kubernetes.io/default-container") or "")
    if annotated:
        return annotated
    containers = (pod.get("spec") or {}).get("containers") or []
    return str(containers[0].get("name") or "") if containers else ""
