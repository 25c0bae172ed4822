"""Pod rule: phases, container errors, restart policies, hooks and the ignore annotation."""

from __future__ import annotations

from typing import Any

from argosy.engine.health import HealthStatusCode, assess

H = HealthStatusCode


def _pod(
    phase: str,
    policy: str = "Always",
    ready: bool = False,
    containers: list[dict[str, Any]] | None = None,
    annotations: dict[str, str] | None = None,
    message: str = "",
) -> dict[str, Any]:
    status: dict[str, Any] = {
        "phase": phase,
        "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        "containerStatuses": containers or [],
    }
    if message:
        status["message"] = message
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "annotations": annotations or {}},
        "spec": {"restartPolicy": policy},
        "status": status,
    }


def _waiting(reason: str, message: str) -> dict[str, Any]:
    return {"name": "main", "state": {"waiting": {"reason": reason, "message": message}}}


def _status(obj: dict[str, Any]) -> tuple[HealthStatusCode, str]:
    r = assess(obj)
    assert r is not None
    return r.status, r.message


def test_phases() -> None:
    assert _status(_pod("Pending", message="scheduling")) == (H.PROGRESSING, "scheduling")
    assert _status(_pod("Succeeded")) == (H.HEALTHY, "")
    assert _status(_pod("Running", ready=True)) == (H.HEALTHY, "")
    assert _status(_pod("Running")) == (H.PROGRESSING, "")
    assert _status(_pod("")) == (H.UNKNOWN, "")


def test_container_errors_degrade_long_running_pods() -> None:
    pod = _pod(
        "Running", containers=[_waiting("CrashLoopBackOff", "back-off"), _waiting("ErrImagePull", "x")]
    )
    assert _status(pod) == (H.DEGRADED, "back-off, x")
    pod = _pod("Pending", containers=[_waiting("CreateContainerConfigError", "no secret")])
    assert _status(pod) == (H.DEGRADED, "no secret")
    assert _status(_pod("Pending", containers=[_waiting("ContainerCreating", "")]))[0] == H.PROGRESSING


def test_running_not_ready_after_a_restart_is_degraded() -> None:
    restarted = {"name": "main", "lastState": {"terminated": {"exitCode": 1}}, "state": {"running": {}}}
    assert _status(_pod("Running", containers=[restarted], message="m")) == (H.DEGRADED, "m")


def test_failed_pod_messages() -> None:
    assert _status(_pod("Failed", message="Evicted")) == (H.DEGRADED, "Evicted")
    oom = {"name": "main", "state": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}
    assert _status(_pod("Failed", containers=[oom])) == (H.DEGRADED, "OOMKilled")
    code = {"name": "main", "state": {"terminated": {"exitCode": 2}}}
    assert _status(_pod("Failed", containers=[code])) == (
        H.DEGRADED,
        'container "main" failed with exit code 2',
    )
    said = {"name": "main", "state": {"terminated": {"exitCode": 2, "message": "bad config"}}}
    assert _status(_pod("Failed", containers=[said])) == (H.DEGRADED, "bad config")
    assert _status(_pod("Failed")) == (H.DEGRADED, "")


def test_finite_pods_stay_progressing_while_running() -> None:
    for policy in ("Never", "OnFailure"):
        assert _status(_pod("Running", policy, ready=True))[0] == H.PROGRESSING
        backoff = _pod("Running", policy, containers=[_waiting("ImagePullBackOff", "pull")])
        assert _status(backoff)[0] == H.PROGRESSING


def test_ignore_restart_policy_annotation() -> None:
    ann = {"argocd.argoproj.io/ignore-restart-policy": "true"}
    assert _status(_pod("Running", "Never", ready=True, annotations=ann))[0] == H.HEALTHY
    backoff = _pod("Running", "Never", containers=[_waiting("ImagePullBackOff", "pull")], annotations=ann)
    assert _status(backoff) == (H.DEGRADED, "pull")
    hook = {**ann, "argocd.argoproj.io/hook": "PostSync"}
    assert _status(_pod("Running", "Never", ready=True, annotations=hook))[0] == H.PROGRESSING
    helm_hook = {**ann, "helm.sh/hook": "post-install"}
    assert _status(_pod("Running", "Never", ready=True, annotations=helm_hook))[0] == H.PROGRESSING
    skip = {**ann, "argocd.argoproj.io/hook": "Skip"}
    assert _status(_pod("Running", "Never", ready=True, annotations=skip))[0] == H.HEALTHY
