"""``resource.customizations*`` keys of ``argocd-cm``: per-kind health scripts,
ignoreDifferences, actions and known type fields.

Argo CD accepts two spellings and merges them (the split keys win):

* one key ``resource.customizations`` holding YAML keyed by ``group/Kind``
  (``Kind`` alone for the core group), each with ``health.lua``,
  ``ignoreDifferences`` (a YAML string), ``actions``, ``knownTypeFields``,
  ``useOpenLibs``;
* split keys ``resource.customizations.<type>.<group>_<Kind>`` (or ``<Kind>``
  for the core group, or ``all`` meaning every kind), where ``<type>`` is
  ``health``, ``ignoreDifferences``, ``ignoreResourceUpdates``, ``actions``,
  ``knownTypeFields`` or ``useOpenLibs``.

Override keys may hold globs (``*.crossplane.io/*``); an exact key wins over a glob.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PREFIX = "resource.customizations"


class SettingsError(ValueError):
    """A settings value could not be parsed; the message names the ConfigMap key."""


@dataclass
class ResourceOverride:
    """What ``argocd-cm`` customizes for one ``group/Kind`` key."""

    health_lua: str | None = None
    use_open_libs: bool = False
    actions: str | None = None
    ignore_differences: dict[str, Any] = field(default_factory=dict)
    ignore_resource_updates: dict[str, Any] = field(default_factory=dict)
    known_type_fields: list[dict[str, Any]] = field(default_factory=list)


def override_key(group: str, kind: str) -> str:
    """The key Argo CD uses for a kind: ``group/Kind``, or ``Kind`` for the core group."""
    return f"{group}/{kind}" if group else kind


def _split_key_to_override_key(group_kind: str, cm_key: str) -> str:
    if group_kind == "all":
        return "*/*"
    parts = group_kind.split("_")
    if len(parts) == 2:
        return f"{parts[0]}/{parts[1]}"
    if len(parts) == 1 and group_kind:
        return group_kind
    raise SettingsError(
        f"argocd-cm key {cm_key!r}: expected resource.customizations.<type>.<group_kind> "
        f"or resource.customizations.<type>.<kind>, got {group_kind!r}"
    )


def _yaml(value: str, cm_key: str) -> Any:
    try:
        return yaml.safe_load(value) if value else None
    except yaml.YAMLError as exc:
        raise SettingsError(f"argocd-cm key {cm_key!r}: invalid YAML: {exc}") from exc


def _bool(value: Any) -> bool:
    return str(value).strip().lower() == "true"


def _apply(ov: ResourceOverride, kind: str, value: Any, cm_key: str) -> None:
    if kind in ("health", "health.lua"):
        ov.health_lua = str(value)
    elif kind in ("useOpenLibs", "health.lua.useOpenLibs"):
        ov.use_open_libs = _bool(value)
    elif kind == "actions":
        ov.actions = str(value)
    elif kind in ("ignoreDifferences", "ignoreResourceUpdates"):
        parsed = _yaml(value, cm_key) if isinstance(value, str) else value
        if parsed is not None and not isinstance(parsed, dict):
            raise SettingsError(f"argocd-cm key {cm_key!r}: {kind} must be a mapping")
        if kind == "ignoreDifferences":
            ov.ignore_differences = parsed or {}
        else:
            ov.ignore_resource_updates = parsed or {}
    elif kind == "knownTypeFields":
        parsed = _yaml(value, cm_key) if isinstance(value, str) else value
        if parsed is not None and not isinstance(parsed, list):
            raise SettingsError(f"argocd-cm key {cm_key!r}: knownTypeFields must be a list")
        ov.known_type_fields = parsed or []


def parse(data: dict[str, str]) -> dict[str, ResourceOverride]:
    """All resource overrides of an ``argocd-cm`` ``data`` map, by override key."""
    overrides: dict[str, ResourceOverride] = {}
    single = data.get(PREFIX)
    if single:
        parsed = _yaml(single, PREFIX)
        if not isinstance(parsed, dict):
            raise SettingsError(f"argocd-cm key {PREFIX!r} must be a YAML mapping of group/Kind to settings")
        for key, spec in parsed.items():
            ov = overrides.setdefault(str(key), ResourceOverride())
            if not isinstance(spec, dict):
                raise SettingsError(f"argocd-cm key {PREFIX!r}, entry {key!r}: expected a mapping")
            for field_name, value in spec.items():
                _apply(ov, str(field_name), value, f"{PREFIX} / {key}")
    for cm_key, value in data.items():
        if not cm_key.startswith(PREFIX + "."):
            continue
        parts = cm_key.split(".", 3)
        if len(parts) < 4:
            continue
        key = _split_key_to_override_key(parts[3], cm_key)
        _apply(overrides.setdefault(key, ResourceOverride()), parts[2], value, cm_key)
    return overrides


def lookup(overrides: dict[str, ResourceOverride], group: str, kind: str) -> ResourceOverride | None:
    """The override stored under a kind's exact key (``group/Kind`` or ``Kind``)."""
    return overrides.get(override_key(group, kind))


def health_override(overrides: dict[str, ResourceOverride], group: str, kind: str) -> ResourceOverride | None:
    """The override whose health script applies to a kind.

    As in Argo CD, the exact key wins; otherwise the first glob key (in sorted
    order, for determinism) that matches and has a health script.
    """
    exact = lookup(overrides, group, kind)
    if exact is not None and exact.health_lua:
        return exact
    key = override_key(group, kind)
    for pattern in sorted(overrides):
        ov = overrides[pattern]
        if ov.health_lua and any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(key, pattern):
            return ov
    return None


def load_configmap_file(path: Path) -> dict[str, str]:
    """The ``data`` of an ``argocd-cm`` ConfigMap saved as YAML (as ``--argocd-cm-path`` takes)."""
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"cannot read ConfigMap file {path}: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("kind") not in (None, "ConfigMap"):
        raise SettingsError(f"{path}: expected a ConfigMap (kind: ConfigMap) with a data map")
    data = doc.get("data") or {}
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: data must be a mapping of string keys to string values")
    return {str(k): "" if v is None else str(v) for k, v in data.items()}
