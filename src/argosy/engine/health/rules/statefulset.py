"""StatefulSet (apps/v1): judged like ``kubectl rollout status``.

Progressing until the controller has observed the spec and every replica is
ready; with a rolling update, until the pods past the partition run the new
revision. ``OnDelete`` StatefulSets are Healthy once ready, since their pods
change only when someone deletes them.
"""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import get_int, get_map, get_opt_int, get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode


def health(obj: dict[str, Any]) -> HealthResult:
    observed = get_int(obj, "status", "observedGeneration")
    if observed == 0 or get_int(obj, "metadata", "generation") > observed:
        return HealthResult(
            HealthStatusCode.PROGRESSING, "Waiting for statefulset spec update to be observed..."
        )
    replicas = get_opt_int(obj, "spec", "replicas")
    ready = get_int(obj, "status", "readyReplicas")
    if replicas is not None and ready < replicas:
        return HealthResult(
            HealthStatusCode.PROGRESSING, f"Waiting for {replicas - ready} pods to be ready..."
        )
    strategy = get_str(obj, "spec", "updateStrategy", "type")
    updated = get_int(obj, "status", "updatedReplicas")
    rolling = get_map(obj, "spec", "updateStrategy").get("rollingUpdate")
    if strategy == "RollingUpdate" and rolling is not None:
        partition = get_opt_int(obj, "spec", "updateStrategy", "rollingUpdate", "partition")
        if replicas is not None and partition is not None and updated < replicas - partition:
            return HealthResult(
                HealthStatusCode.PROGRESSING,
                "Waiting for partitioned roll out to finish: "
                f"{updated} out of {replicas - partition} new pods have been updated...",
            )
        return HealthResult(
            HealthStatusCode.HEALTHY,
            f"partitioned roll out complete: {updated} new pods have been updated...",
        )
    if strategy == "OnDelete":
        return HealthResult(HealthStatusCode.HEALTHY, f"statefulset has {ready} ready pods")
    update_revision = get_str(obj, "status", "updateRevision")
    current_revision = get_str(obj, "status", "currentRevision")
    if update_revision != current_revision:
        return HealthResult(
            HealthStatusCode.PROGRESSING,
            "waiting for statefulset rolling update to complete "
            f"{updated} pods at revision {update_revision}...",
        )
    current = get_int(obj, "status", "currentReplicas")
    return HealthResult(
        HealthStatusCode.HEALTHY,
        f"statefulset rolling update complete {current} pods at revision {current_revision}...",
    )
