"""Argo Workflows ``Workflow`` (argoproj.io): its phase, read as health.

Pending or Running is Progressing, Succeeded is Healthy, Failed or Error is Degraded.
"""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import get_str
from argosy.engine.health.status import HealthResult, HealthStatus

_BY_PHASE = {
    "": HealthStatus.PROGRESSING,
    "Pending": HealthStatus.PROGRESSING,
    "Running": HealthStatus.PROGRESSING,
    "Succeeded": HealthStatus.HEALTHY,
    "Failed": HealthStatus.DEGRADED,
    "Error": HealthStatus.DEGRADED,
}


def health(obj: dict[str, Any]) -> HealthResult:
    status = _BY_PHASE.get(get_str(obj, "status", "phase"), HealthStatus.UNKNOWN)
    return HealthResult(status, get_str(obj, "status", "message"))
