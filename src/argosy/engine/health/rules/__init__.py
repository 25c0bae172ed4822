"""The built-in health rules, one module per kind, and the table that picks one.

``BUILTIN`` holds the rules Argo CD's gitops-engine has; ``ARGOSY`` holds
Argosy's additions (today the ``Application`` rule for app of apps). A kind in
neither table has no built-in health.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from argosy.engine.health._fields import ConversionError, RuleError, api_group_version, gvk_string
from argosy.engine.health.rules import (
    apiservice,
    application,
    daemonset,
    deployment,
    hpa,
    ingress,
    job,
    pod,
    pvc,
    replicaset,
    service,
    statefulset,
    workflow,
)
from argosy.engine.health.status import HealthResult, HealthStatusCode

Check = Callable[[dict[str, Any]], HealthResult]


@dataclass(frozen=True)
class Rule:
    """A health check for one kind, limited to the API versions it understands."""

    kind: str
    check: Check
    versions: frozenset[str] | None = None  # None: any version

    def __call__(self, obj: dict[str, Any]) -> HealthResult:
        """The object's health; a version or field the rule cannot read gives Unknown."""
        if self.versions is not None and api_group_version(obj)[1] not in self.versions:
            return HealthResult(HealthStatusCode.UNKNOWN, f"unsupported {self.kind} GVK: {gvk_string(obj)}")
        try:
            for section in ("metadata", "spec", "status"):
                if obj.get(section) is not None and not isinstance(obj[section], dict):
                    raise ConversionError(f"field {section} must be an object")
            return self.check(obj)
        except RuleError as exc:
            return HealthResult(HealthStatusCode.UNKNOWN, str(exc))
        except ConversionError as exc:
            return HealthResult(
                HealthStatusCode.UNKNOWN, f"failed to convert unstructured {self.kind} to typed: {exc}"
            )


_V1 = frozenset({"v1"})

BUILTIN: dict[tuple[str, str], Rule] = {
    ("apps", "Deployment"): Rule("Deployment", deployment.health, _V1),
    ("apps", "StatefulSet"): Rule("StatefulSet", statefulset.health, _V1),
    ("apps", "ReplicaSet"): Rule("ReplicaSet", replicaset.health, _V1),
    ("apps", "DaemonSet"): Rule("DaemonSet", daemonset.health, _V1),
    ("extensions", "Ingress"): Rule("Ingress", ingress.health),
    ("networking.k8s.io", "Ingress"): Rule("Ingress", ingress.health),
    ("argoproj.io", "Workflow"): Rule("Workflow", workflow.health),
    ("apiregistration.k8s.io", "APIService"): Rule(
        "APIService", apiservice.health, frozenset({"v1", "v1beta1"})
    ),
    ("", "Service"): Rule("Service", service.health, _V1),
    ("", "PersistentVolumeClaim"): Rule("PersistentVolumeClaim", pvc.health, _V1),
    ("", "Pod"): Rule("Pod", pod.health, _V1),
    ("batch", "Job"): Rule("Job", job.health, _V1),
    ("autoscaling", "HorizontalPodAutoscaler"): Rule(
        "HorizontalPodAutoscaler", hpa.health, frozenset({"v1", "v2beta1", "v2beta2", "v2"})
    ),
}

ARGOSY: dict[tuple[str, str], Rule] = {
    ("argoproj.io", "Application"): Rule("Application", application.health),
}


def rule_for(group: str, kind: str, *, argosy_rules: bool = True) -> Rule | None:
    """The built-in rule for a kind, or None when it has none."""
    rule = BUILTIN.get((group, kind))
    if rule is None and argosy_rules:
        rule = ARGOSY.get((group, kind))
    return rule
