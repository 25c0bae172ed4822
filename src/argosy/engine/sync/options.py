"""Sync options, on the Application and on single objects.

The Application's list is ``spec.syncPolicy.syncOptions``; a sync request
(``operation.sync.syncOptions``, written by ``argosy app sync --sync-option``)
replaces that list when it carries one, as in Argo CD. An object can set
options for itself with ``argocd.argoproj.io/sync-options: Replace=true,Validate=false``.

An option set on the object wins over the Application's, in both directions
(``ServerSideApply=false`` on one object turns it off when the app turns it
on). Some options only make sense for the whole sync (``CreateNamespace``,
``ApplyOutOfSyncOnly``, ``PrunePropagationPolicy``, ``FailOnSharedResource``,
``ClientSideApplyMigration``); on an object they are reported and ignored.

Argo CD ignores options it does not recognise, so a typo such as
``Replace=True`` silently does nothing; here an unknown option or value is an
error that names the object and the option, and the sync does not start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from argosy.engine.keys import ResourceKey
from argosy.engine.sync.common import (
    ANNOTATION_SYNC_OPTIONS,
    Problem,
    annotation,
    annotation_field,
    error,
    warning,
)

_BOOL: Final = ("true", "false")


@dataclass(frozen=True)
class _Spec:
    values: tuple[str, ...]
    per_resource: bool


OPTIONS: Final[dict[str, _Spec]] = {
    "CreateNamespace": _Spec(_BOOL, per_resource=False),
    "PruneLast": _Spec(_BOOL, per_resource=True),
    "ApplyOutOfSyncOnly": _Spec(_BOOL, per_resource=False),
    "Replace": _Spec(_BOOL, per_resource=True),
    "Force": _Spec(_BOOL, per_resource=True),
    "Validate": _Spec(_BOOL, per_resource=True),
    "ServerSideApply": _Spec(_BOOL, per_resource=True),
    "ClientSideApplyMigration": _Spec(_BOOL, per_resource=False),
    "PrunePropagationPolicy": _Spec(("foreground", "background", "orphan"), per_resource=False),
    "RespectIgnoreDifferences": _Spec(_BOOL, per_resource=True),
    "FailOnSharedResource": _Spec(_BOOL, per_resource=False),
    "SkipDryRunOnMissingResource": _Spec(_BOOL, per_resource=True),
    "Prune": _Spec(("true", "false", "confirm"), per_resource=True),
    "Delete": _Spec(("true", "false", "confirm"), per_resource=True),
}


class PropagationPolicy(StrEnum):
    FOREGROUND = "foreground"
    BACKGROUND = "background"
    ORPHAN = "orphan"


@dataclass(frozen=True)
class SyncOptions:
    """Options as written at one level: option name -> value (``"true"``, ``"orphan"``...)."""

    values: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str | None:
        return self.values.get(name)

    def flag(self, name: str) -> bool | None:
        value = self.values.get(name)
        return None if value is None else value == "true"


def parse_options(
    items: Iterable[str], *, field_name: str, key: ResourceKey | None = None, per_resource: bool = False
) -> tuple[SyncOptions, list[Problem]]:
    """Read ``Name=value`` items; report unknown names, bad values and contradictions."""
    values: dict[str, str] = {}
    problems: list[Problem] = []
    for raw in items:
        item = str(raw).strip()
        if not item:
            continue
        name, sep, value = (part.strip() for part in item.partition("="))
        spec = OPTIONS.get(name)
        if spec is None:
            hint = next((known for known in OPTIONS if known.lower() == name.lower()), None)
            fix = (
                f"did you mean {hint}={value or 'true'}?" if hint else "known options: " + ", ".join(OPTIONS)
            )
            problems.append(error(key, field_name, f"unknown sync option {item!r}; {fix}"))
            continue
        if not sep or value not in spec.values:
            hint = next((v for v in spec.values if v.lower() == value.lower()), None)
            fix = f"did you mean {name}={hint}?" if hint else f"use {name}=" + " or ".join(spec.values)
            problems.append(error(key, field_name, f"sync option {item!r} has no valid value; {fix}"))
            continue
        if per_resource and not spec.per_resource:
            problems.append(
                warning(
                    key,
                    field_name,
                    f"{item} applies to the whole sync and is ignored on a single object; "
                    "set it in spec.syncPolicy.syncOptions of the Application",
                )
            )
            continue
        if name in values and values[name] != value:
            problems.append(
                error(
                    key,
                    field_name,
                    f"sync option {name} is set twice ({name}={values[name]} and {item}); keep one",
                )
            )
            continue
        values[name] = value
    return SyncOptions(values), problems


def parse_resource_options(obj: Mapping[str, Any]) -> tuple[SyncOptions, list[Problem]]:
    """The object's ``argocd.argoproj.io/sync-options`` annotation."""
    text = annotation(obj, ANNOTATION_SYNC_OPTIONS)
    if text is None:
        return SyncOptions(), []
    return parse_options(
        text.split(","),
        field_name=annotation_field(ANNOTATION_SYNC_OPTIONS),
        key=ResourceKey.of(obj),
        per_resource=True,
    )


def deletion_disabled(obj: Mapping[str, Any]) -> bool:
    """``argocd.argoproj.io/sync-options: Delete=false``: the object outlives its Application."""
    options, _ = parse_resource_options(obj)
    return options.get("Delete") == "false"


@dataclass(frozen=True)
class ResolvedOptions:
    """The options that apply to one object, after object-over-app precedence."""

    prune_last: bool = False
    replace: bool = False
    force: bool = False
    validate: bool = True
    server_side_apply: bool | None = None
    """True/False when set at either level; None when nobody asked (the planner may choose)."""
    respect_ignore_differences: bool = False
    skip_dry_run_on_missing_resource: bool = False
    prune: str = "true"
    """``true``, ``false`` (never prune this object) or ``confirm`` (wait for approval)."""
    delete: str = "true"
    """``true``, ``false`` (keep on app deletion) or ``confirm``."""
    propagation_policy: PropagationPolicy = PropagationPolicy.FOREGROUND
    fail_on_shared_resource: bool = False
    client_side_apply_migration: bool = True


def resolve(app: SyncOptions, resource: SyncOptions, *, force: bool = False) -> ResolvedOptions:
    """Combine app-level and object-level options; the object's value wins where it has one."""

    def pick(name: str) -> str | None:
        value = resource.get(name)
        return value if value is not None else app.get(name)

    def flag(name: str, default: bool) -> bool:
        value = pick(name)
        return default if value is None else value == "true"

    ssa = pick("ServerSideApply")
    return ResolvedOptions(
        prune_last=flag("PruneLast", False),
        replace=flag("Replace", False),
        force=flag("Force", force),
        validate=flag("Validate", True),
        server_side_apply=None if ssa is None else ssa == "true",
        respect_ignore_differences=flag("RespectIgnoreDifferences", False),
        skip_dry_run_on_missing_resource=flag("SkipDryRunOnMissingResource", False),
        prune=pick("Prune") or "true",
        delete=pick("Delete") or "true",
        propagation_policy=PropagationPolicy(app.get("PrunePropagationPolicy") or "foreground"),
        fail_on_shared_resource=app.flag("FailOnSharedResource") or False,
        client_side_apply_migration=app.flag("ClientSideApplyMigration") is not False,
    )


def app_options(
    spec_options: Iterable[str] | None, operation_options: Iterable[str] | None
) -> tuple[SyncOptions, list[Problem]]:
    """The sync's app-level options: the operation's list when it has one, else the spec's.

    The API and auto-sync copy the spec's list into the operation, so the
    operation's list is normally complete; when an operation was written
    without one (None or empty), the spec's list applies.
    """
    requested = list(operation_options or ())
    if requested:
        return parse_options(requested, field_name="operation.sync.syncOptions")
    return parse_options(spec_options or (), field_name="spec.syncPolicy.syncOptions")
