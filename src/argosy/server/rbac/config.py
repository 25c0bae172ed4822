"""``argocd-rbac-cm``: the user's policy, default role, match mode and group scopes.

Keys read (as Argo CD):

- ``policy.csv``: the main policy; any other ``policy.<name>.csv`` key is
  appended after it in sorted key order (so teams can own separate keys);
- ``policy.default``: a role every authenticated user has (e.g. ``role:readonly``);
- ``policy.matchMode``: ``glob`` (default) or ``regex``;
- ``scopes``: which token claims hold group names, default ``[groups]``.

A policy file given to ``argosy admin settings rbac`` may be plain CSV or a
whole ``argocd-rbac-cm`` ConfigMap in YAML.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from argosy.server.rbac.matching import GLOB, MATCH_MODES, REGEX, regex_warnings
from argosy.server.rbac.policy import PolicyError, PolicySource, parse_policy

KEY_POLICY_CSV = "policy.csv"
KEY_POLICY_DEFAULT = "policy.default"
KEY_MATCH_MODE = "policy.matchMode"
KEY_SCOPES = "scopes"
DEFAULT_SCOPES: tuple[str, ...] = ("groups",)


class RBACConfigError(ValueError):
    """argocd-rbac-cm (or a policy file) cannot be read; the message names the key or file."""


@dataclass(frozen=True)
class RBACConfig:
    """What Argosy reads from ``argocd-rbac-cm``."""

    sources: tuple[PolicySource, ...] = ()
    default_role: str = ""
    match_mode: str = GLOB
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    warnings: tuple[str, ...] = field(default=())

    @property
    def policy_csv(self) -> str:
        """All user policy text joined as Argo CD joins it (``policy.csv`` then ``policy.*.csv``)."""
        return "\n".join(s.text for s in self.sources)


def policy_sources(data: Mapping[str, str], source: str = "argocd-rbac-cm") -> tuple[PolicySource, ...]:
    """``policy.csv`` first, then each other ``policy.*.csv`` key in sorted order."""
    keys = [KEY_POLICY_CSV] if KEY_POLICY_CSV in data else []
    keys += [
        k for k in sorted(data) if k.startswith("policy.") and k.endswith(".csv") and k != KEY_POLICY_CSV
    ]
    return tuple(PolicySource(f"{source} key {k}", str(data[k] or "")) for k in keys)


def parse_scopes(value: str | None, source: str = "argocd-rbac-cm") -> tuple[tuple[str, ...], list[str]]:
    """Parse the ``scopes`` value (a YAML list such as ``[groups, email]``); falls back to the default."""
    if value is None or not value.strip():
        return DEFAULT_SCOPES, []
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError as err:
        return DEFAULT_SCOPES, [
            f"{source} key {KEY_SCOPES!r}: not a YAML list ({err}); using {list(DEFAULT_SCOPES)}. "
            "Write it as e.g. '[groups, email]'."
        ]
    if isinstance(parsed, str):
        return (parsed,), []
    if isinstance(parsed, list) and all(isinstance(s, str) for s in parsed):
        return tuple(parsed), []
    return DEFAULT_SCOPES, [
        f"{source} key {KEY_SCOPES!r}: expected a list of claim names, got {value!r}; "
        f"using {list(DEFAULT_SCOPES)}."
    ]


def config_from_data(data: Mapping[str, Any] | None, source: str = "argocd-rbac-cm") -> RBACConfig:
    """Build the RBAC settings from a ConfigMap's ``data``; never raises on odd values, it warns."""
    data = dict(data or {})
    warnings: list[str] = []
    str_data: dict[str, str] = {}
    for key, value in data.items():
        if value is None:
            continue
        if not isinstance(value, str):
            warnings.append(f"{source} key {key!r}: value is not a string; quote it in the YAML.")
            value = str(value)
        str_data[str(key)] = value
    mode = str_data.get(KEY_MATCH_MODE, "").strip() or GLOB
    if mode not in MATCH_MODES:
        warnings.append(
            f"{source} key {KEY_MATCH_MODE!r}: unknown mode {mode!r}; using 'glob' (or set 'regex')."
        )
        mode = GLOB
    scopes, scope_warnings = parse_scopes(str_data.get(KEY_SCOPES), source)
    warnings.extend(scope_warnings)
    sources = policy_sources(str_data, source)
    if mode == REGEX:
        # A policy that does not parse is refused by the enforcer, which names its bad lines.
        with contextlib.suppress(PolicyError):
            warnings.extend(regex_warnings(parse_policy(sources)))
    return RBACConfig(
        sources=sources,
        default_role=str_data.get(KEY_POLICY_DEFAULT, "").strip(),
        match_mode=mode,
        scopes=scopes,
        warnings=tuple(warnings),
    )


def config_from_configmap(obj: Mapping[str, Any], source: str = "argocd-rbac-cm") -> RBACConfig:
    """From a whole ConfigMap object (``{"kind": "ConfigMap", "data": {...}}``)."""
    data = obj.get("data") or {}
    if not isinstance(data, Mapping):
        raise RBACConfigError(
            f"{source}: 'data' must be a mapping of keys to strings, got {type(data).__name__}"
        )
    return config_from_data(data, source)


def load_policy_file(path: str | Path) -> RBACConfig:
    """Read ``--policy-file``: an ``argocd-rbac-cm`` ConfigMap in YAML, or plain policy CSV.

    As in Argo CD, a file that parses as a YAML mapping is taken as a
    ConfigMap; anything else is policy CSV.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as err:
        raise RBACConfigError(f"cannot read policy file {p}: {err.strerror or err}") from None
    except UnicodeDecodeError:
        raise RBACConfigError(f"policy file {p} is not UTF-8 text") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        doc = None
    if isinstance(doc, Mapping) and ("data" in doc or doc.get("kind") == "ConfigMap"):
        return config_from_configmap(doc, source=str(p))
    return RBACConfig(sources=(PolicySource(str(p), text),))
