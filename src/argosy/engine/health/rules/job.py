"""Job (batch/v1): Progressing until a Complete, Failed or Suspended condition appears;
Failed is Degraded, Suspended (``spec.suspend``) is Suspended, Complete is Healthy."""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import get_maps, get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode


def health(obj: dict[str, Any]) -> HealthResult:
    failed = complete = suspended = False
    fail_message = message = ""
    for cond in get_maps(obj, "status", "conditions"):
        kind = cond.get("type")
        if kind == "Failed":
            failed = complete = True
            fail_message = get_str(cond, "message")
        elif kind == "Complete":
            complete = True
            message = get_str(cond, "message")
        elif kind == "Suspended":
            complete = True
            message = get_str(cond, "message")
            suspended = cond.get("status") == "True"
    if not complete:
        return HealthResult(HealthStatusCode.PROGRESSING, message)
    if failed:
        return HealthResult(HealthStatusCode.DEGRADED, fail_message)
    if suspended:
        return HealthResult(HealthStatusCode.SUSPENDED, message)
    return HealthResult(HealthStatusCode.HEALTHY, message)
