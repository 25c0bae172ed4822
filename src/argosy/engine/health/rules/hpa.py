"""HorizontalPodAutoscaler (autoscaling v1, v2beta1, v2beta2, v2).

Degraded when the autoscaler cannot read its target's scale or its metrics
(any such condition wins, wherever it appears in the list); Healthy when it
is able to scale or is held at its min/max; otherwise Progressing ("Waiting
to Autoscale"). ``autoscaling/v1`` keeps its conditions as JSON in the
``autoscaling.alpha.kubernetes.io/conditions`` annotation.
"""

from __future__ import annotations

import json
from typing import Any

from argosy.engine.health._fields import RuleError, api_group_version, get_map, get_maps
from argosy.engine.health.status import HealthResult, HealthStatusCode

CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
WAITING = HealthResult(HealthStatusCode.PROGRESSING, "Waiting to Autoscale")

_DEGRADED = {
    ("AbleToScale", "FailedGetScale"),
    ("AbleToScale", "FailedUpdateScale"),
    ("ScalingActive", "FailedGetResourceMetric"),
    ("ScalingActive", "FailedGetContainerResourceMetric"),
    ("ScalingActive", "FailedGetPodsMetric"),
    ("ScalingActive", "FailedGetObjectMetric"),
    ("ScalingActive", "FailedGetExternalMetric"),
    ("ScalingActive", "InvalidSelector"),
}
_HEALTHY_TYPES = ("AbleToScale", "ScalingLimited")


def _v1_conditions(obj: dict[str, Any]) -> list[dict[str, Any]] | None:
    raw = get_map(obj, "metadata", "annotations").get(CONDITIONS_ANNOTATION)
    if raw is None:
        return None
    try:
        parsed = json.loads(str(raw))
    except json.JSONDecodeError as exc:
        raise RuleError(f"failed to convert conditions annotation to typed: {exc}") from exc
    if parsed is None:
        return []
    if not isinstance(parsed, list) or not all(isinstance(c, dict) for c in parsed):
        raise RuleError("failed to convert conditions annotation to typed: expected a list of conditions")
    return parsed


def health(obj: dict[str, Any]) -> HealthResult:
    if api_group_version(obj)[1] == "v1":
        conditions = _v1_conditions(obj)
        if not conditions:
            return WAITING
    else:
        conditions = get_maps(obj, "status", "conditions")
    for cond in conditions:
        if (cond.get("type"), cond.get("reason")) in _DEGRADED:
            return HealthResult(HealthStatusCode.DEGRADED, str(cond.get("message") or ""))
    for cond in conditions:
        if cond.get("type") in _HEALTHY_TYPES and cond.get("status") == "True":
            return HealthResult(HealthStatusCode.HEALTHY, str(cond.get("message") or ""))
    return WAITING
