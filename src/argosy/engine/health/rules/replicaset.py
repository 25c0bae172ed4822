"""ReplicaSet (apps/v1): Degraded on a ``ReplicaFailure`` condition (quota, admission),
Progressing until every replica is available."""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import find_condition, get_int, get_opt_int, get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode


def health(obj: dict[str, Any]) -> HealthResult:
    if get_int(obj, "metadata", "generation") > get_int(obj, "status", "observedGeneration"):
        return HealthResult(
            HealthStatusCode.PROGRESSING,
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        )
    cond = find_condition(obj, "ReplicaFailure")
    if cond is not None and cond.get("status") == "True":
        return HealthResult(HealthStatusCode.DEGRADED, get_str(cond, "message"))
    replicas = get_opt_int(obj, "spec", "replicas")
    available = get_int(obj, "status", "availableReplicas")
    if replicas is not None and available < replicas:
        return HealthResult(
            HealthStatusCode.PROGRESSING,
            f"Waiting for rollout to finish: {available} out of {replicas} new replicas are available...",
        )
    return HealthResult(HealthStatusCode.HEALTHY)
