"""Discover and run the actions of one live object (see the package docstring)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from argosy.engine.actions.builtin import BUILTIN
from argosy.engine.health.lua import DEFAULT_LIMITS, LuaLimits, LuaScriptError, run_script
from argosy.settings.resource_customizations import ResourceOverride, lookup, override_key

Obj = dict[str, Any]
PATCH = "patch"
CREATE = "create"


class ActionError(ValueError):
    """An action is unknown, its settings or script are bad, or its result is unusable."""


@dataclass(frozen=True)
class ResourceAction:
    """Argo CD's ``ResourceAction``: what the UI and ``app actions list`` show."""

    name: str
    disabled: bool = False
    icon_class: str = ""
    display_name: str = ""

    def to_api(self) -> Obj:
        out: Obj = {"name": self.name, "disabled": self.disabled}
        if self.icon_class:
            out["iconClass"] = self.icon_class
        if self.display_name:
            out["displayName"] = self.display_name
        return out


@dataclass(frozen=True)
class ImpactedResource:
    """One object an action changes: ``patch`` (the whole new object) or ``create``."""

    operation: str
    resource: Obj


@dataclass(frozen=True)
class _Custom:
    discovery_lua: str
    definitions: dict[str, str]
    merge_builtin: bool


def _kind_of(obj: Obj) -> tuple[str, str]:
    group, _, _version = str(obj.get("apiVersion") or "").rpartition("/")
    return group, str(obj.get("kind") or "")


def _custom(overrides: dict[str, ResourceOverride], group: str, kind: str) -> _Custom | None:
    ov = lookup(overrides, group, kind)
    if ov is None or not ov.actions:
        return None
    where = f"argocd-cm resource.customizations.actions for {override_key(group, kind)!r}"
    try:
        doc = yaml.safe_load(ov.actions)
    except yaml.YAMLError as exc:
        raise ActionError(f"{where}: invalid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ActionError(f"{where}: expected a mapping with discovery.lua and definitions")
    definitions: dict[str, str] = {}
    for item in doc.get("definitions") or []:
        if not isinstance(item, dict) or not item.get("name") or not isinstance(item.get("action.lua"), str):
            raise ActionError(f"{where}: each definition needs a name and an action.lua script")
        definitions[str(item["name"])] = item["action.lua"]
    return _Custom(str(doc.get("discovery.lua") or ""), definitions, bool(doc.get("mergeBuiltinActions")))


def _run(
    script: str, obj: Obj, name: str, limits: LuaLimits, now: int | None, params: Obj | None = None
) -> Any:
    try:
        return run_script(
            script,
            {"obj": obj, "actionParams": params or {}},
            chunk_name=f"={name}",
            limits=limits,
            fixed_now=now,
        )
    except LuaScriptError as exc:
        raise ActionError(f"{name}: {exc}") from None


def discover_actions(
    obj: Obj,
    overrides: dict[str, ResourceOverride],
    *,
    limits: LuaLimits = DEFAULT_LIMITS,
    now: int | None = None,
) -> list[ResourceAction]:
    """The actions ``obj`` offers, sorted by name; custom discovery wins over a built-in of the same name."""
    group, kind = _kind_of(obj)
    scripts: list[str] = []
    custom = _custom(overrides, group, kind)
    if custom is not None and custom.discovery_lua:
        scripts.append(custom.discovery_lua)
    builtin = BUILTIN.get(override_key(group, kind))
    if builtin is not None and (custom is None or custom.merge_builtin):
        scripts.append(builtin.discovery_lua)
    found: dict[str, ResourceAction] = {}
    for script in scripts:
        result = _run(script, obj, "discovery.lua", limits, now)
        if result == [] or result is None:
            continue
        if not isinstance(result, dict):
            raise ActionError(f"discovery.lua for {override_key(group, kind)} must return a table of actions")
        for name, spec in result.items():
            if name in found:
                continue
            spec = spec if isinstance(spec, dict) else {}
            found[name] = ResourceAction(
                name=name,
                disabled=spec.get("disabled") is True,
                icon_class=str(spec.get("iconClass") or ""),
                display_name=str(spec.get("displayName") or ""),
            )
    return [found[n] for n in sorted(found)]


def _restore_empty_maps(new: Any, old: Any) -> Any:
    """Lua returns an empty map as ``[]``; put back ``{}`` where the live object had a map."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: _restore_empty_maps(v, old[k]) if k in old else v for k, v in new.items()}
    if new == [] and isinstance(old, dict):
        return {}
    if isinstance(new, list) and isinstance(old, list):
        return [_restore_empty_maps(v, old[i]) if i < len(old) else v for i, v in enumerate(new)]
    return new


def run_action(
    obj: Obj,
    action: str,
    overrides: dict[str, ResourceOverride],
    *,
    limits: LuaLimits = DEFAULT_LIMITS,
    now: int | None = None,
) -> list[ImpactedResource]:
    """What running ``action`` on ``obj`` changes; raises :class:`ActionError` naming the problem.

    An action the discovery does not offer, or offers disabled, is refused, as
    the UI would never show it.
    """
    group, kind = _kind_of(obj)
    offered = {a.name: a for a in discover_actions(obj, overrides, limits=limits, now=now)}
    if action not in offered:
        names = ", ".join(offered) or "none"
        raise ActionError(f"{override_key(group, kind)} has no action {action!r} (available: {names})")
    if offered[action].disabled:
        raise ActionError(f"action {action!r} is disabled for this {kind} in its current state")
    custom = _custom(overrides, group, kind)
    script = custom.definitions.get(action) if custom is not None else None
    if script is None:
        builtin = BUILTIN.get(override_key(group, kind))
        script = builtin.actions.get(action) if builtin is not None else None
    if script is None:
        raise ActionError(f"{override_key(group, kind)}: action {action!r} has no action.lua definition")
    result = _run(script, obj, f"{action}/action.lua", limits, now)
    if isinstance(result, dict):
        return [ImpactedResource(PATCH, _restore_empty_maps(result, obj))]
    if not isinstance(result, list) or not result:
        raise ActionError(f"{action}/action.lua must return the object or a list of impacted resources")
    out: list[ImpactedResource] = []
    for item in result:
        op = item.get("operation") if isinstance(item, dict) else None
        res = item.get("resource") if isinstance(item, dict) else None
        if op not in (PATCH, CREATE) or not isinstance(res, dict):
            raise ActionError(
                f"{action}/action.lua: each impacted resource needs an operation "
                "(patch or create) and a resource table"
            )
        out.append(ImpactedResource(op, _restore_empty_maps(res, obj) if op == PATCH else res))
    return out
