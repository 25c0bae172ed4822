"""APIService (apiregistration.k8s.io v1, v1beta1): Healthy when its ``Available``
condition is True, otherwise Progressing (the aggregated API is not reachable yet)."""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import find_condition, get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode


def health(obj: dict[str, Any]) -> HealthResult:
    cond = find_condition(obj, "Available")
    if cond is None:
        return HealthResult(HealthStatusCode.PROGRESSING, "Waiting to be processed")
    message = f"{get_str(cond, 'reason')}: {get_str(cond, 'message')}"
    if cond.get("status") == "True":
        return HealthResult(HealthStatusCode.HEALTHY, message)
    return HealthResult(HealthStatusCode.PROGRESSING, message)
