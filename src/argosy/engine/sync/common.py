"""Words shared by every part of the sync planner: object identity, phases,
actions, and the problems the planner reports instead of raising.

The planner reads manifests written by people (and by Helm charts nobody in
the room wrote), so a typo must never crash the controller. Each reader here
returns what it understood plus a list of :class:`Problem` that names the
object, the annotation or field, and what to do about it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from argosy.engine.keys import ResourceKey
from argosy.model import constants
from argosy.model.status import SyncPhase as SyncPhase

ANNOTATION_HOOK = constants.ANNOTATION_HOOK
ANNOTATION_HOOK_DELETE_POLICY = constants.ANNOTATION_HOOK_DELETE_POLICY
ANNOTATION_SYNC_WAVE = constants.ANNOTATION_SYNC_WAVE
ANNOTATION_SYNC_OPTIONS = constants.ANNOTATION_SYNC_OPTIONS
ANNOTATION_HELM_HOOK = constants.ANNOTATION_HELM_HOOK
ANNOTATION_HELM_HOOK_WEIGHT = constants.ANNOTATION_HELM_HOOK_WEIGHT
ANNOTATION_HELM_HOOK_DELETE_POLICY = constants.ANNOTATION_HELM_HOOK_DELETE_POLICY
ANNOTATION_HELM_RESOURCE_POLICY = "helm.sh/resource-policy"
ANNOTATION_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

CRD_GROUP = "apiextensions.k8s.io"
CRD_KIND = "CustomResourceDefinition"


PHASE_ORDER: dict[SyncPhase, int] = {
    SyncPhase.PRE_SYNC: 0,
    SyncPhase.SYNC: 1,
    SyncPhase.POST_SYNC: 2,
    SyncPhase.SYNC_FAIL: 3,
    SyncPhase.PRE_DELETE: 4,
    SyncPhase.POST_DELETE: 5,
}


class Action(StrEnum):
    """What the runner does with a task."""

    APPLY = "apply"
    """``kubectl apply`` semantics (client- or server-side, see :class:`ApplyMode`)."""
    CREATE = "create"
    """``Replace=true`` and the object does not exist yet: create it."""
    REPLACE = "replace"
    """``Replace=true`` and the object exists: replace (PUT) it."""
    PRUNE = "prune"
    """Delete a live object that Git no longer has."""
    SKIP = "skip"
    """Nothing to do, but the result is reported (e.g. ``ignored (requires pruning)``)."""


class Severity(StrEnum):
    ERROR = "error"
    """The plan must not run: the sync fails with this message, nothing is applied."""
    WARNING = "warning"
    """Worth telling the user; the plan runs."""


@dataclass(frozen=True)
class Problem:
    """Something wrong with the input, phrased for the person who can fix it."""

    severity: Severity
    message: str
    key: ResourceKey | None = None
    field: str = ""

    def __str__(self) -> str:
        return self.message


def error(key: ResourceKey | None, field: str, message: str) -> Problem:
    return Problem(Severity.ERROR, _prefix(key, field, message), key, field)


def warning(key: ResourceKey | None, field: str, message: str) -> Problem:
    return Problem(Severity.WARNING, _prefix(key, field, message), key, field)


def _prefix(key: ResourceKey | None, field: str, message: str) -> str:
    where = ", ".join(part for part in (str(key) if key else "", field) if part)
    return f"{where}: {message}" if where else message


def annotation_field(name: str) -> str:
    return f"metadata.annotations[{name}]"


def metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def annotations_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    value = metadata(obj).get("annotations")
    return value if isinstance(value, Mapping) else {}


def annotation(obj: Mapping[str, Any], name: str) -> str | None:
    value = annotations_of(obj).get(name)
    return None if value is None else str(value)


def csv(value: str | None) -> list[str]:
    """Comma-separated annotation values, trimmed, empty items dropped, first spelling kept."""
    seen: list[str] = []
    for item in (value or "").split(","):
        item = item.strip()
        if item and item not in seen:
            seen.append(item)
    return seen


def is_crd(obj: Mapping[str, Any]) -> bool:
    key = ResourceKey.of(obj)
    return key.kind == CRD_KIND and key.group == CRD_GROUP


def is_namespace(obj: Mapping[str, Any]) -> bool:
    key = ResourceKey.of(obj)
    return key.kind == "Namespace" and key.group == ""
