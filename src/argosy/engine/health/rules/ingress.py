"""Ingress (networking.k8s.io, extensions): Progressing until the ingress controller
publishes an address in ``status.loadBalancer.ingress``."""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import get_list
from argosy.engine.health.status import HealthResult, HealthStatusCode


def health(obj: dict[str, Any]) -> HealthResult:
    if get_list(obj, "status", "loadBalancer", "ingress"):
        return HealthResult(HealthStatusCode.HEALTHY)
    return HealthResult(HealthStatusCode.PROGRESSING)
