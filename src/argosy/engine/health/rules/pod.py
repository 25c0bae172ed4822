"""Pod (v1): Healthy when running and ready, or succeeded; Degraded when failed,
crash-looping or unable to pull its image; Progressing while pending or starting.

A running pod whose restart policy is ``Never`` or ``OnFailure`` stays
Progressing: such pods are usually sync hooks, and calling one Healthy (or an
image pull back-off Degraded) would end the hook before it really finished.
The annotation ``argocd.argoproj.io/ignore-restart-policy`` asks for the
long-running judgement anyway (operators that create such pods use it); it is
not honoured on hook pods.
"""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import find_condition, get_int, get_map, get_maps, get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode

IGNORE_RESTART_POLICY = "argocd.argoproj.io/ignore-restart-policy"
HOOK_ANNOTATION = "argocd.argoproj.io/hook"
HELM_HOOK_ANNOTATION = "helm.sh/hook"


def is_hook(obj: dict[str, Any]) -> bool:
    """Whether Argo CD treats the object as a sync hook (its own or Helm's annotation)."""
    annotations = get_map(obj, "metadata", "annotations")
    hook = annotations.get(HOOK_ANNOTATION)
    if hook is not None:
        types = [t.strip() for t in str(hook).split(",")]
        return types != ["Skip"]
    helm_hook = annotations.get(HELM_HOOK_ANNOTATION)
    return helm_hook is not None and str(helm_hook).strip() != "crd-install"


def _waiting_error(status: dict[str, Any]) -> bool:
    waiting = get_map(status, "state", "waiting")
    if not waiting:
        return False
    reason = get_str(waiting, "reason")
    return reason.startswith("Err") or reason.endswith("Error") or reason.endswith("BackOff")


def _fail_message(status: dict[str, Any]) -> str:
    terminated = get_map(status, "state", "terminated")
    if not terminated:
        return ""
    if get_str(terminated, "message"):
        return get_str(terminated, "message")
    if get_str(terminated, "reason") == "OOMKilled":
        return "OOMKilled"
    code = get_int(terminated, "exitCode")
    if code != 0:
        return f'container "{get_str(status, "name")}" failed with exit code {code}'
    return ""


def health(obj: dict[str, Any]) -> HealthResult:
    policy = get_str(obj, "spec", "restartPolicy")
    message = get_str(obj, "status", "message")
    containers = get_maps(obj, "status", "containerStatuses")
    annotations = get_map(obj, "metadata", "annotations")
    long_running = policy == "Always" or (IGNORE_RESTART_POLICY in annotations and not is_hook(obj))

    if long_running:
        failing = [c for c in containers if _waiting_error(c)]
        if failing:
            messages = [get_str(c, "state", "waiting", "message") for c in failing]
            return HealthResult(HealthStatusCode.DEGRADED, ", ".join(messages))

    phase = get_str(obj, "status", "phase")
    if phase == "Pending":
        return HealthResult(HealthStatusCode.PROGRESSING, message)
    if phase == "Succeeded":
        return HealthResult(HealthStatusCode.HEALTHY, message)
    if phase == "Failed":
        if message:
            return HealthResult(HealthStatusCode.DEGRADED, message)
        for ctr in get_maps(obj, "status", "initContainerStatuses") + containers:
            fail = _fail_message(ctr)
            if fail:
                return HealthResult(HealthStatusCode.DEGRADED, fail)
        return HealthResult(HealthStatusCode.DEGRADED, "")
    if phase == "Running":
        if long_running:
            ready = find_condition(obj, "Ready")
            if ready is not None and ready.get("status") == "True":
                return HealthResult(HealthStatusCode.HEALTHY, message)
            if any(get_map(c, "lastState", "terminated") for c in containers):
                return HealthResult(HealthStatusCode.DEGRADED, message)
            return HealthResult(HealthStatusCode.PROGRESSING, message)
        if policy in ("OnFailure", "Never"):
            return HealthResult(HealthStatusCode.PROGRESSING, message)
    return HealthResult(HealthStatusCode.UNKNOWN, message)
