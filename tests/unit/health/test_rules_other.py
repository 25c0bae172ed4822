"""Service, Ingress, PVC, Job, HPA, APIService, Workflow and Application rules."""

from __future__ import annotations

import json
from typing import Any

from argosy.engine.health import HealthStatusCode, assess

H = HealthStatusCode


def _obj(api_version: str, kind: str, spec: Any = None, status: Any = None, **meta: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "x", **meta}}
    if spec is not None:
        obj["spec"] = spec
    if status is not None:
        obj["status"] = status
    return obj


def _status(obj: dict[str, Any]) -> tuple[HealthStatusCode, str]:
    r = assess(obj)
    assert r is not None
    return r.status, r.message


def test_service() -> None:
    assert _status(_obj("v1", "Service", {"type": "ClusterIP"}))[0] == H.HEALTHY
    assert _status(_obj("v1", "Service", {"type": "LoadBalancer"}))[0] == H.PROGRESSING
    lb = _obj("v1", "Service", {"type": "LoadBalancer"}, {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}})
    assert _status(lb)[0] == H.HEALTHY


def test_ingress_in_both_groups() -> None:
    for api in ("networking.k8s.io/v1", "extensions/v1beta1"):
        assert _status(_obj(api, "Ingress", {}, {"loadBalancer": {}}))[0] == H.PROGRESSING
        done = _obj(api, "Ingress", {}, {"loadBalancer": {"ingress": [{"hostname": "lb"}]}})
        assert _status(done)[0] == H.HEALTHY


def test_pvc() -> None:
    expected = {"Bound": H.HEALTHY, "Pending": H.PROGRESSING, "Lost": H.DEGRADED, "Weird": H.UNKNOWN}
    for phase, status in expected.items():
        assert _status(_obj("v1", "PersistentVolumeClaim", {}, {"phase": phase}))[0] == status


def _job(*conditions: dict[str, str]) -> dict[str, Any]:
    return _obj("batch/v1", "Job", {}, {"conditions": list(conditions)})


def test_job() -> None:
    assert _status(_job()) == (H.PROGRESSING, "")
    assert _status(_job({"type": "Complete", "status": "True", "message": "done"})) == (H.HEALTHY, "done")
    failed = _job({"type": "Failed", "status": "True", "message": "BackoffLimitExceeded"})
    assert _status(failed) == (H.DEGRADED, "BackoffLimitExceeded")
    suspended = _job({"type": "Suspended", "status": "True", "message": "Job suspended"})
    assert _status(suspended) == (H.SUSPENDED, "Job suspended")
    resumed = _job({"type": "Suspended", "status": "False", "message": "Job resumed"})
    assert _status(resumed) == (H.HEALTHY, "Job resumed")


def _cond(kind: str, status: str, reason: str, message: str = "") -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message or reason}


def test_hpa_v2_conditions() -> None:
    healthy = [
        _cond("AbleToScale", "True", "ReadyForNewScale"),
        _cond("ScalingActive", "True", "ValidMetricFound"),
    ]
    for version in ("v2", "v2beta2", "v2beta1"):
        api = f"autoscaling/{version}"
        assert _status(_obj(api, "HorizontalPodAutoscaler", {}, {"conditions": healthy}))[0] == H.HEALTHY
    # a degraded condition wins even after a healthy one
    bad = [*healthy, _cond("ScalingActive", "False", "FailedGetExternalMetric", "no metric")]
    assert _status(_obj("autoscaling/v2", "HorizontalPodAutoscaler", {}, {"conditions": bad})) == (
        H.DEGRADED,
        "no metric",
    )
    limited = [
        _cond("AbleToScale", "False", "BackoffBoth"),
        _cond("ScalingLimited", "True", "TooFewReplicas"),
    ]
    assert (
        _status(_obj("autoscaling/v2", "HorizontalPodAutoscaler", {}, {"conditions": limited}))[0]
        == H.HEALTHY
    )
    waiting = _obj("autoscaling/v2", "HorizontalPodAutoscaler", {}, {"conditions": []})
    assert _status(waiting) == (H.PROGRESSING, "Waiting to Autoscale")


def test_hpa_v1_reads_the_conditions_annotation() -> None:
    key = "autoscaling.alpha.kubernetes.io/conditions"
    conds = json.dumps([_cond("AbleToScale", "True", "FailedGetScale", "cannot scale")])
    r = _status(_obj("autoscaling/v1", "HorizontalPodAutoscaler", annotations={key: conds}))
    assert r == (H.DEGRADED, "cannot scale")
    assert _status(_obj("autoscaling/v1", "HorizontalPodAutoscaler"))[0] == H.PROGRESSING
    assert (
        _status(_obj("autoscaling/v1", "HorizontalPodAutoscaler", annotations={key: "[]"}))[0]
        == H.PROGRESSING
    )
    broken = _status(_obj("autoscaling/v1", "HorizontalPodAutoscaler", annotations={key: "{not json"}))
    assert broken[0] == H.UNKNOWN and broken[1].startswith("failed to convert conditions annotation to typed")


def test_apiservice() -> None:
    for api in ("apiregistration.k8s.io/v1", "apiregistration.k8s.io/v1beta1"):
        ok = {"conditions": [_cond("Available", "True", "Passed", "all checks passed")]}
        assert _status(_obj(api, "APIService", {}, ok)) == (H.HEALTHY, "Passed: all checks passed")
        down = {"conditions": [_cond("Available", "False", "FailedDiscoveryCheck", "no endpoints")]}
        assert _status(_obj(api, "APIService", {}, down)) == (
            H.PROGRESSING,
            "FailedDiscoveryCheck: no endpoints",
        )
        assert _status(_obj(api, "APIService", {}, {})) == (H.PROGRESSING, "Waiting to be processed")


def test_argo_workflow() -> None:
    for phase, status in (("Running", H.PROGRESSING), ("Succeeded", H.HEALTHY), ("Error", H.DEGRADED)):
        wf = _obj("argoproj.io/v1alpha1", "Workflow", {}, {"phase": phase, "message": "m"})
        assert _status(wf) == (status, "m")
    assert _status(_obj("argoproj.io/v1alpha1", "Workflow", {})) == (H.PROGRESSING, "")


def test_application_is_argosy_rule_for_app_of_apps() -> None:
    child = _obj(
        "argoproj.io/v1alpha1", "Application", {}, {"health": {"status": "Degraded", "message": "m"}}
    )
    assert _status(child) == (H.DEGRADED, "m")
    assert assess(child, argosy_rules=False) is None  # Argo CD has no built-in rule
    assert _status(_obj("argoproj.io/v1alpha1", "Application", {}))[0] == H.PROGRESSING
    odd = _obj("argoproj.io/v1alpha1", "Application", {}, {"health": {"status": "Great"}})
    assert _status(odd)[0] == H.UNKNOWN


def test_kinds_without_a_rule_have_no_health() -> None:
    assert assess(_obj("v1", "ConfigMap")) is None
    assert assess(_obj("example.com/v1", "Widget", {}, {"phase": "Ready"})) is None


def test_bad_input_is_unknown_not_a_crash() -> None:
    garbage = _obj("v1", "Pod", {"restartPolicy": "Always"}, {"containerStatuses": "oops"})
    r = _status(garbage)
    assert r[0] == H.UNKNOWN and "containerStatuses must be a list" in r[1]
    r = _status(_obj("apps/v1", "StatefulSet", "not-a-map", {}))
    assert r[0] == H.UNKNOWN
