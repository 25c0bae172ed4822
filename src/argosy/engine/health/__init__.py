"""Health: is what runs in the cluster working, not merely present?

Every live object an Application manages gets one of six statuses, the same
as Argo CD's:

* **Healthy** — working as intended (a Deployment with all replicas updated and available).
* **Suspended** — paused on purpose (a paused Deployment, a suspended Job).
* **Progressing** — not there yet but may get there (a rollout in progress, a
  LoadBalancer waiting for an address, an object being deleted).
* **Missing** — in Git but not in the cluster.
* **Degraded** — failed, or cannot get there (crash loop, progress deadline exceeded).
* **Unknown** — health could not be assessed (a health script failed).

Built-in rules cover Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod,
Service, Ingress, PersistentVolumeClaim, Job, HorizontalPodAutoscaler,
APIService and Argo Workflows' Workflow, exactly as Argo CD judges them, plus
Argosy's rule for child Applications (app of apps). Kinds without a rule have
no health of their own: they never make an app unhealthy. A Lua script in
``argocd-cm`` (``resource.customizations.health.<group>_<kind>``) judges any
kind and overrides the built-in rule. An app's health is the worst of its
resources' health, in Argo CD's order Healthy < Suspended < Progressing <
Missing < Degraded < Unknown.

Everything here is pure: it reads objects and settings and never talks to a cluster.
"""

from __future__ import annotations

from argosy.engine.health.app import ResourceHealth, app_health
from argosy.engine.health.assess import PENDING_DELETION, assess, group_kind, has_health_check
from argosy.engine.health.lua import DEFAULT_LIMITS, LuaLimits, run_health_script
from argosy.engine.health.status import HEALTH_ORDER, HealthResult, HealthStatusCode, is_worse, worst

__all__ = [
    "DEFAULT_LIMITS",
    "HEALTH_ORDER",
    "PENDING_DELETION",
    "HealthResult",
    "HealthStatusCode",
    "LuaLimits",
    "ResourceHealth",
    "app_health",
    "assess",
    "group_kind",
    "has_health_check",
    "is_worse",
    "run_health_script",
    "worst",
]
