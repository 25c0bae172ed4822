"""Argo CD's health order and the app-level aggregation."""

from __future__ import annotations

from argosy.engine.health import (
    HEALTH_ORDER,
    HealthResult,
    HealthStatusCode,
    ResourceHealth,
    app_health,
    is_worse,
    worst,
)
from argosy.settings.resource_customizations import ResourceOverride

H = HealthStatusCode


def test_order_is_argo_cds_is_worse_order() -> None:
    assert HEALTH_ORDER == (H.HEALTHY, H.SUSPENDED, H.PROGRESSING, H.MISSING, H.DEGRADED, H.UNKNOWN)
    assert is_worse(H.HEALTHY, H.PROGRESSING)
    assert is_worse(H.HEALTHY, H.DEGRADED)
    assert not is_worse(H.DEGRADED, H.PROGRESSING)
    assert is_worse(H.DEGRADED, H.UNKNOWN)
    assert not is_worse(H.SUSPENDED, H.SUSPENDED)


def test_worst_of_nothing_is_healthy() -> None:
    assert worst([]) == H.HEALTHY
    assert worst([H.SUSPENDED, H.MISSING, H.PROGRESSING]) == H.MISSING


def _res(group: str, kind: str, status: HealthStatusCode | None) -> ResourceHealth:
    return ResourceHealth(group, kind, None if status is None else HealthResult(status))


def test_app_health_is_the_worst_resource() -> None:
    resources = [_res("apps", "Deployment", H.PROGRESSING), _res("", "Service", H.HEALTHY)]
    assert app_health(resources) == H.PROGRESSING
    assert app_health([*resources, _res("", "Pod", H.DEGRADED)]) == H.DEGRADED


def test_resources_without_health_do_not_count() -> None:
    assert app_health([_res("", "ConfigMap", None), _res("", "Service", H.HEALTHY)]) == H.HEALTHY
    assert app_health([_res("", "ConfigMap", None)]) == H.HEALTHY


def test_missing_counts_only_for_kinds_with_a_health_check() -> None:
    assert app_health([_res("", "ConfigMap", H.MISSING)]) == H.HEALTHY
    assert app_health([_res("apps", "Deployment", H.MISSING)]) == H.MISSING
    custom = {"example.com/Widget": ResourceOverride(health_lua="return {status='Healthy'}")}
    assert app_health([_res("example.com", "Widget", H.MISSING)], custom) == H.MISSING
    assert app_health([_res("example.com", "Widget", H.MISSING)]) == H.HEALTHY


def test_child_application_missing_or_unknown_does_not_hold_back_the_parent() -> None:
    for status in (H.MISSING, H.UNKNOWN):
        assert app_health([_res("argoproj.io", "Application", status)]) == H.HEALTHY
    assert app_health([_res("argoproj.io", "Application", H.DEGRADED)]) == H.DEGRADED


def test_result_as_status_dict() -> None:
    assert HealthResult(H.DEGRADED, "boom").to_dict() == {"status": "Degraded", "message": "boom"}
    assert HealthResult(H.HEALTHY).to_dict() == {"status": "Healthy"}
