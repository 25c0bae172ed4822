"""An Application's health: the worst health among its resources.

Following Argo CD: resources without health do not count; a Missing resource
counts only when its kind has a health check (a missing ConfigMap does not make
the app Missing); a child Application that is Missing or Unknown does not count
either, so a parent in an app of apps is not held back by a child that has not
been created or assessed yet. With nothing to count the app is Healthy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from argosy.engine.health.assess import has_health_check
from argosy.engine.health.status import HealthResult, HealthStatusCode, worst
from argosy.settings.resource_customizations import ResourceOverride

_NOT_COUNTED_FOR_CHILD_APPS = (HealthStatusCode.MISSING, HealthStatusCode.UNKNOWN)


@dataclass(frozen=True)
class ResourceHealth:
    """One managed resource's kind and assessed health (None: no health)."""

    group: str
    kind: str
    health: HealthResult | None


def _counts(res: ResourceHealth, overrides: Mapping[str, ResourceOverride] | None) -> bool:
    if res.health is None:
        return False
    status = res.health.status
    if status == HealthStatusCode.MISSING and not has_health_check(res.group, res.kind, overrides):
        return False
    return not (
        res.group == "argoproj.io" and res.kind == "Application" and status in _NOT_COUNTED_FOR_CHILD_APPS
    )


def app_health(
    resources: Iterable[ResourceHealth], overrides: Mapping[str, ResourceOverride] | None = None
) -> HealthStatusCode:
    """The app's ``status.health.status`` from its resources' health."""
    return worst(r.health.status for r in resources if r.health is not None and _counts(r, overrides))
