"""Deployment (apps/v1): judged like ``kubectl rollout status``.

Paused is Suspended; a ``ProgressDeadlineExceeded`` condition is Degraded; a
rollout that has not updated, replaced or made available every replica yet is
Progressing, as is a spec change the controller has not observed.
"""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import find_condition, get_bool, get_int, get_opt_int, get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode


def health(obj: dict[str, Any]) -> HealthResult:
    if get_bool(obj, "spec", "paused"):
        return HealthResult(HealthStatusCode.SUSPENDED, "Deployment is paused")
    if get_int(obj, "metadata", "generation") > get_int(obj, "status", "observedGeneration"):
        return HealthResult(
            HealthStatusCode.PROGRESSING,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        )
    cond = find_condition(obj, "Progressing")
    replicas = get_opt_int(obj, "spec", "replicas")
    updated = get_int(obj, "status", "updatedReplicas")
    current = get_int(obj, "status", "replicas")
    available = get_int(obj, "status", "availableReplicas")
    if cond is not None and cond.get("reason") == "ProgressDeadlineExceeded":
        name = get_str(obj, "metadata", "name")
        return HealthResult(HealthStatusCode.DEGRADED, f'Deployment "{name}" exceeded its progress deadline')
    if replicas is not None and updated < replicas:
        return HealthResult(
            HealthStatusCode.PROGRESSING,
            f"Waiting for rollout to finish: {updated} out of {replicas} new replicas have been updated...",
        )
    if current > updated:
        return HealthResult(
            HealthStatusCode.PROGRESSING,
            f"Waiting for rollout to finish: {current - updated} old replicas are pending termination...",
        )
    if available < updated:
        return HealthResult(
            HealthStatusCode.PROGRESSING,
            f"Waiting for rollout to finish: {available} of {updated} updated replicas are available...",
        )
    return HealthResult(HealthStatusCode.HEALTHY)
