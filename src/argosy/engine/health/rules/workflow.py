"""Argo Workflows ``Workflow`` (argoproj.io): its phase, read as health.

Pending or Running is Progressing, Succeeded is Healthy, Failed or Error is Degraded.
"""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode

_BY_PHASE = {
    "": HealthStatusCode.PROGRESSING,
    "Pending": HealthStatusCode.PROGRESSING,
    "Running": HealthStatusCode.PROGRESSING,
    "Succeeded": HealthStatusCode.HEALTHY,
    "Failed": HealthStatusCode.DEGRADED,
    "Error": HealthStatusCode.DEGRADED,
}


def health(obj: dict[str, Any]) -> HealthResult:
    status = _BY_PHASE.get(get_str(obj, "status", "phase"), HealthStatusCode.UNKNOWN)
    return HealthResult(status, get_str(obj, "status", "message"))
