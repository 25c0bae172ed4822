"""DaemonSet (apps/v1): judged like ``kubectl rollout status``.

Progressing until every scheduled pod runs the new template and is available;
``OnDelete`` DaemonSets are Healthy as soon as the spec is observed, since
their pods change only when someone deletes them.
"""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import get_int, get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode


def health(obj: dict[str, Any]) -> HealthResult:
    if get_int(obj, "metadata", "generation") > get_int(obj, "status", "observedGeneration"):
        return HealthResult(
            HealthStatusCode.PROGRESSING,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        )
    updated = get_int(obj, "status", "updatedNumberScheduled")
    desired = get_int(obj, "status", "desiredNumberScheduled")
    available = get_int(obj, "status", "numberAvailable")
    name = get_str(obj, "metadata", "name")
    if get_str(obj, "spec", "updateStrategy", "type") == "OnDelete":
        return HealthResult(
            HealthStatusCode.HEALTHY, f"daemon set {updated} out of {desired} new pods have been updated"
        )
    if updated < desired:
        return HealthResult(
            HealthStatusCode.PROGRESSING,
            f'Waiting for daemon set "{name}" rollout to finish: '
            f"{updated} out of {desired} new pods have been updated...",
        )
    if available < desired:
        return HealthResult(
            HealthStatusCode.PROGRESSING,
            f'Waiting for daemon set "{name}" rollout to finish: '
            f"{available} of {desired} updated pods are available...",
        )
    return HealthResult(HealthStatusCode.HEALTHY)
