"""The controller's view of ``argocd-cm``: parsed once per change, not per reconcile.

Settings changes take effect without a restart: the controller watches the
ConfigMap and swaps in a new :class:`ControllerSettings`. A bad value never
stops reconciliation; it is kept in ``problems`` and reported as a condition
on every Application, naming the key to fix.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from argosy.engine.diff import DiffConfig
from argosy.engine.tracking import TrackingError, TrackingSettings
from argosy.sandbox.jq_pool import DEFAULT_TIMEOUT_SECONDS as DEFAULT_JQ_TIMEOUT_SECONDS
from argosy.sandbox.jq_pool import bounded_jq
from argosy.settings import resource_customizations
from argosy.settings.resource_customizations import ResourceOverride, SettingsError

DEFAULT_RECONCILIATION_SECONDS = 180.0
DEFAULT_SELF_HEAL_TIMEOUT_SECONDS = 5.0
JQ_TIMEOUT_KEY = "controller.ignore.normalizer.jq.timeout"


def parse_go_seconds(value: str, key: str) -> float:
    """``180s``, ``3m``, ``1h30m`` or a bare number of seconds (as Argo CD accepts)."""
    from argosy.engine.durations import DurationError, parse_seconds

    if not value.strip():
        raise SettingsError(f"argocd-cm key {key!r} is empty")
    try:
        return parse_seconds(value)
    except DurationError as exc:
        raise SettingsError(f"argocd-cm key {key!r}: {exc}") from exc


def listed_app_namespaces(argocd_cm: dict[str, str], params: dict[str, str]) -> tuple[str, ...]:
    """``application.namespaces`` (comma-separated globs) of ``argocd-cmd-params-cm``, where Argo CD
    keeps it; the same key in ``argocd-cm`` is accepted too."""
    listed = ",".join(
        v for v in (params.get("application.namespaces"), argocd_cm.get("application.namespaces")) if v
    )
    return tuple(ns.strip() for ns in listed.split(",") if ns.strip())


def app_namespace_enabled(namespace: str, control_plane_namespace: str, patterns: tuple[str, ...]) -> bool:
    """Whether Applications in ``namespace`` are Argosy's at all: the control plane's own namespace
    and those ``application.namespaces`` lists. The controller reconciles only these and the API
    server serves only these, so an Application placed elsewhere is neither synced nor shown."""
    if namespace == control_plane_namespace:
        return True
    return any(fnmatch.fnmatchcase(namespace, pattern) for pattern in patterns)


@dataclass(frozen=True)
class ControllerSettings:
    """Everything the reconcile loop reads from ``argocd-cm``."""

    data: dict[str, str] = field(default_factory=dict)
    namespace: str = "argocd"
    reconciliation_seconds: float = DEFAULT_RECONCILIATION_SECONDS
    self_heal_timeout_seconds: float = DEFAULT_SELF_HEAL_TIMEOUT_SECONDS
    tracking: TrackingSettings = field(default_factory=TrackingSettings)
    overrides: dict[str, ResourceOverride] = field(default_factory=dict)
    app_namespaces: tuple[str, ...] = ()
    server_side_diff: bool = True
    #: How long one ignoreDifferences jq expression may run (``argocd-cmd-params-cm``'s
    #: ``controller.ignore.normalizer.jq.timeout``, as in Argo CD).
    jq_timeout_seconds: float = DEFAULT_JQ_TIMEOUT_SECONDS
    problems: tuple[str, ...] = ()

    @classmethod
    def from_configmap_data(
        cls, data: dict[str, str] | None, namespace: str = "argocd", params: dict[str, str] | None = None
    ) -> ControllerSettings:
        """``data`` of ``argocd-cm``; ``params`` of ``argocd-cmd-params-cm`` (where Argo CD keeps
        ``application.namespaces``; the same key in ``argocd-cm`` is accepted too)."""
        data = dict(data or {})
        params = dict(params or {})
        problems: list[str] = []
        reconciliation = DEFAULT_RECONCILIATION_SECONDS
        if "timeout.reconciliation" in data:
            try:
                reconciliation = parse_go_seconds(data["timeout.reconciliation"], "timeout.reconciliation")
            except SettingsError as exc:
                problems.append(str(exc))
        self_heal = DEFAULT_SELF_HEAL_TIMEOUT_SECONDS
        if "controller.self.heal.timeout.seconds" in data:
            try:
                self_heal = float(data["controller.self.heal.timeout.seconds"])
            except ValueError:
                problems.append("argocd-cm key 'controller.self.heal.timeout.seconds' must be a number")
        try:
            tracking = TrackingSettings.from_argocd_cm(data)
        except TrackingError as exc:
            problems.append(str(exc))
            tracking = TrackingSettings()
        try:
            overrides = resource_customizations.parse(data)
        except SettingsError as exc:
            problems.append(str(exc))
            overrides = {}
        app_namespaces = listed_app_namespaces(data, params)
        server_side = data.get("controller.diff.server.side", "true").strip().lower() != "false"
        jq_timeout = DEFAULT_JQ_TIMEOUT_SECONDS
        if params.get(JQ_TIMEOUT_KEY):
            try:
                jq_timeout = parse_go_seconds(params[JQ_TIMEOUT_KEY], JQ_TIMEOUT_KEY)
            except SettingsError as exc:
                problems.append(str(exc).replace("argocd-cm", "argocd-cmd-params-cm"))
            if jq_timeout <= 0:
                problems.append(f"argocd-cmd-params-cm key {JQ_TIMEOUT_KEY!r} must be a positive duration")
                jq_timeout = DEFAULT_JQ_TIMEOUT_SECONDS
        return cls(
            data=data,
            server_side_diff=server_side,
            namespace=namespace,
            reconciliation_seconds=reconciliation,
            self_heal_timeout_seconds=self_heal,
            tracking=tracking,
            overrides=overrides,
            app_namespaces=app_namespaces,
            jq_timeout_seconds=jq_timeout,
            problems=tuple(problems),
        )

    def manages_namespace(self, namespace: str) -> bool:
        """Apps of the control-plane namespace, and of those ``application.namespaces`` lists
        (comma-separated globs, as Argo CD's ``argocd-cmd-params-cm`` key), are reconciled."""
        return app_namespace_enabled(namespace, self.namespace, self.app_namespaces)

    def diff_config(self, app: dict[str, Any]) -> DiffConfig:
        """Diff rules of one app plus the global ones; raises naming the field at fault.

        jq expressions run in the bounded worker pool, so a rule that never ends costs
        ``jq_timeout_seconds`` and a ComparisonError, not a controller worker."""
        spec = app.get("spec") or {}
        name = str((app.get("metadata") or {}).get("name") or "")
        return DiffConfig.build(
            self.data, spec.get("ignoreDifferences"), name, jq=bounded_jq(self.jq_timeout_seconds)
        )
