"""One object's health: deletion first, then a custom Lua check, then the built-in rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argosy.engine.health._fields import api_group_version
from argosy.engine.health.lua import DEFAULT_LIMITS, LuaLimits, run_health_script
from argosy.engine.health.rules import rule_for
from argosy.engine.health.status import HealthResult, HealthStatusCode
from argosy.settings.resource_customizations import ResourceOverride, health_override

# A hook Argo CD still has to read the result of: deleting it is not "progressing".
HOOK_FINALIZER = "argocd.argoproj.io/hook-finalizer"
PENDING_DELETION = "Pending deletion"


def _pending_deletion(obj: Mapping[str, Any]) -> bool:
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not meta.get("deletionTimestamp"):
        return False
    finalizers = meta.get("finalizers")
    return not (isinstance(finalizers, list) and HOOK_FINALIZER in finalizers)


def group_kind(obj: Mapping[str, Any]) -> tuple[str, str]:
    """``(group, kind)`` of an object, as override keys and rules are looked up."""
    group, _ = api_group_version(dict(obj))
    kind = obj.get("kind")
    return group, kind if isinstance(kind, str) else ""


def has_health_check(
    group: str,
    kind: str,
    overrides: Mapping[str, ResourceOverride] | None = None,
    *,
    argosy_rules: bool = True,
) -> bool:
    """Whether a kind gets health from a rule or a custom script (else it has none)."""
    if overrides and health_override(dict(overrides), group, kind) is not None:
        return True
    return rule_for(group, kind, argosy_rules=argosy_rules) is not None


def assess(
    obj: Mapping[str, Any],
    overrides: Mapping[str, ResourceOverride] | None = None,
    *,
    argosy_rules: bool = True,
    lua_limits: LuaLimits = DEFAULT_LIMITS,
) -> HealthResult | None:
    """The health of a live object, or None when neither a rule nor a script judges its kind.

    As in Argo CD: an object being deleted is Progressing; a Lua script from
    ``resource.customizations`` overrides the built-in rule. ``argosy_rules=False``
    leaves out Argosy's own rules and gives exactly Argo CD's built-in answer.
    """
    if not isinstance(obj, Mapping):
        return HealthResult(
            HealthStatusCode.UNKNOWN, f"expected a Kubernetes object (a mapping), got {type(obj).__name__}"
        )
    if _pending_deletion(obj):
        return HealthResult(HealthStatusCode.PROGRESSING, PENDING_DELETION)
    group, kind = group_kind(obj)
    if overrides:
        override = health_override(dict(overrides), group, kind)
        if override is not None and override.health_lua:
            return run_health_script(
                override.health_lua, dict(obj), use_open_libs=override.use_open_libs, limits=lua_limits
            )
    rule = rule_for(group, kind, argosy_rules=argosy_rules)
    return rule(dict(obj)) if rule is not None else None
