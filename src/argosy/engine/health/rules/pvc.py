"""PersistentVolumeClaim (v1): Bound is Healthy, Pending is Progressing, Lost is Degraded."""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode

_BY_PHASE = {
    "Bound": HealthStatusCode.HEALTHY,
    "Pending": HealthStatusCode.PROGRESSING,
    "Lost": HealthStatusCode.DEGRADED,
}


def health(obj: dict[str, Any]) -> HealthResult:
    return HealthResult(_BY_PHASE.get(get_str(obj, "status", "phase"), HealthStatusCode.UNKNOWN))
