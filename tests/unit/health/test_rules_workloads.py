"""Deployment, StatefulSet, DaemonSet and ReplicaSet rules (rollout-status semantics)."""

from __future__ import annotations

from typing import Any

from argosy.engine.health import HealthStatusCode, assess

H = HealthStatusCode


def _obj(kind: str, spec: dict[str, Any], status: dict[str, Any], generation: int = 1) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "web", "namespace": "ns", "generation": generation},
        "spec": spec,
        "status": status,
    }


def _dep(spec: dict[str, Any] | None = None, **status: Any) -> dict[str, Any]:
    base = {"observedGeneration": 1, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 3}
    return _obj("Deployment", {"replicas": 3, **(spec or {})}, {**base, **status})


def test_deployment() -> None:
    r = assess(_dep())
    assert r is not None and r.status == H.HEALTHY and r.message == ""
    r = assess(_dep({"paused": True}))
    assert r is not None and (r.status, r.message) == (H.SUSPENDED, "Deployment is paused")
    r = assess(_dep(updatedReplicas=1))
    assert r is not None and r.status == H.PROGRESSING
    assert r.message == "Waiting for rollout to finish: 1 out of 3 new replicas have been updated..."
    r = assess(_dep(replicas=4))
    assert r is not None and r.message.endswith("1 old replicas are pending termination...")
    r = assess(_dep(availableReplicas=2))
    assert r is not None and r.message.endswith("2 of 3 updated replicas are available...")
    stale = _dep(observedGeneration=0)
    r = assess(stale)
    assert r is not None and r.status == H.PROGRESSING and "observed deployment generation" in r.message
    deadline = _dep(
        updatedReplicas=1,
        conditions=[{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}],
    )
    r = assess(deadline)
    assert r is not None
    assert (r.status, r.message) == (H.DEGRADED, 'Deployment "web" exceeded its progress deadline')


def test_deployment_of_an_old_api_version_or_bad_field_is_unknown() -> None:
    old = _dep()
    old["apiVersion"] = "apps/v1beta2"
    r = assess(old)
    assert r is not None and r.status == H.UNKNOWN
    assert r.message == "unsupported Deployment GVK: apps/v1beta2, Kind=Deployment"
    bad = _dep({"replicas": "three"})
    r = assess(bad)
    assert r is not None and r.status == H.UNKNOWN
    assert r.message.startswith("failed to convert unstructured Deployment to typed: field spec.replicas")


def _sts(strategy: dict[str, Any], **status: Any) -> dict[str, Any]:
    base = {
        "observedGeneration": 1,
        "readyReplicas": 3,
        "updatedReplicas": 3,
        "currentReplicas": 3,
        "currentRevision": "web-1",
        "updateRevision": "web-1",
    }
    return _obj("StatefulSet", {"replicas": 3, "updateStrategy": strategy}, {**base, **status})


def test_statefulset() -> None:
    rolling = {"type": "RollingUpdate"}
    r = assess(_sts(rolling))
    assert r is not None and r.status == H.HEALTHY
    assert r.message == "statefulset rolling update complete 3 pods at revision web-1..."
    r = assess(_sts(rolling, observedGeneration=0))
    assert r is not None and r.status == H.PROGRESSING
    r = assess(_sts(rolling, readyReplicas=1))
    assert r is not None and (r.status, r.message) == (H.PROGRESSING, "Waiting for 2 pods to be ready...")
    r = assess(_sts(rolling, updateRevision="web-2", updatedReplicas=1))
    assert r is not None and r.status == H.PROGRESSING and "revision web-2" in r.message
    partitioned = {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}}
    r = assess(_sts(partitioned, updatedReplicas=1))
    assert r is not None and r.status == H.PROGRESSING and "1 out of 2 new pods" in r.message
    r = assess(_sts(partitioned, updatedReplicas=2, updateRevision="web-2"))
    assert r is not None and r.status == H.HEALTHY and r.message.startswith("partitioned roll out complete")
    r = assess(_sts({"type": "OnDelete"}, updateRevision="web-2"))
    assert r is not None and (r.status, r.message) == (H.HEALTHY, "statefulset has 3 ready pods")


def _ds(strategy: str, **status: Any) -> dict[str, Any]:
    base = {"observedGeneration": 1, "desiredNumberScheduled": 2, "updatedNumberScheduled": 2}
    return _obj("DaemonSet", {"updateStrategy": {"type": strategy}}, {**base, "numberAvailable": 2, **status})


def test_daemonset() -> None:
    r = assess(_ds("RollingUpdate"))
    assert r is not None and r.status == H.HEALTHY
    r = assess(_ds("RollingUpdate", updatedNumberScheduled=1))
    assert r is not None and r.status == H.PROGRESSING and "1 out of 2 new pods" in r.message
    r = assess(_ds("RollingUpdate", numberAvailable=0))
    assert r is not None and r.status == H.PROGRESSING and "0 of 2 updated pods are available" in r.message
    r = assess(_ds("OnDelete", updatedNumberScheduled=0))
    assert r is not None and r.status == H.HEALTHY
    r = assess(_ds("RollingUpdate", observedGeneration=0))
    assert r is not None and r.status == H.PROGRESSING and "daemon set generation" in r.message


def test_replicaset() -> None:
    base = {"observedGeneration": 1, "availableReplicas": 2}
    r = assess(_obj("ReplicaSet", {"replicas": 2}, base))
    assert r is not None and r.status == H.HEALTHY
    r = assess(_obj("ReplicaSet", {"replicas": 3}, base))
    assert r is not None and r.status == H.PROGRESSING and "2 out of 3 new replicas" in r.message
    failure = [{"type": "ReplicaFailure", "status": "True", "message": "exceeded quota"}]
    r = assess(_obj("ReplicaSet", {"replicas": 3}, {**base, "conditions": failure}))
    assert r is not None and (r.status, r.message) == (H.DEGRADED, "exceeded quota")
    r = assess(_obj("ReplicaSet", {"replicas": 2}, base, generation=2))
    assert r is not None and r.status == H.PROGRESSING
