"""PersistentVolumeClaim (v1): Bound is Healthy, Pending is Progressing, Lost is Degraded."""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import get_str
from argosy.engine.health.status import HealthResult, HealthStatus

_BY_PHASE = {
    "Bound": HealthStatus.HEALTHY,
    "Pending": HealthStatus.PROGRESSING,
    "Lost": HealthStatus.DEGRADED,
}


def health(obj: dict[str, Any]) -> HealthResult:
    return HealthResult(_BY_PHASE.get(get_str(obj, "status", "phase"), HealthStatus.UNKNOWN))
