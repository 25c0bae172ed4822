"""Service (v1): a LoadBalancer is Progressing until the cloud assigns it an address;
every other Service is Healthy once it exists."""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import get_list, get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode


def health(obj: dict[str, Any]) -> HealthResult:
    if get_str(obj, "spec", "type") == "LoadBalancer" and not get_list(
        obj, "status", "loadBalancer", "ingress"
    ):
        return HealthResult(HealthStatusCode.PROGRESSING)
    return HealthResult(HealthStatusCode.HEALTHY)
