"""What the planner is given: the desired objects, the live objects to prune,
the sync request and the Application's settings.

These are small, plain records so the planner stays pure: the controller
fills them from the compare result, the live cache and the Application, and
gets a plan back. :func:`request_from_operation` reads Argo CD's
``operation.sync`` JSON so the runner does not have to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argosy.engine.keys import ResourceKey
from argosy.engine.sync.common import Problem, error
from argosy.model.status import SyncStatusCode


@dataclass(frozen=True)
class DesiredObject:
    """One rendered object, with its live counterpart when there is one.

    Namespaces must already be resolved as compare resolves them: namespaced
    objects carry their namespace (the destination's when the manifest had
    none), cluster-scoped ones carry none.
    """

    obj: Mapping[str, Any]
    live: Mapping[str, Any] | None = None
    status: SyncStatusCode = SyncStatusCode.OUT_OF_SYNC
    """The comparison's verdict (``ApplyOutOfSyncOnly`` skips Synced objects)."""


@dataclass(frozen=True)
class ResourceSelector:
    """One entry of a partial sync: group, kind and name, optionally namespace."""

    group: str
    kind: str
    name: str
    namespace: str = ""

    def matches(self, key: ResourceKey) -> bool:
        return (self.group, self.kind, self.name) == (key.group, key.kind, key.name) and (
            not self.namespace or self.namespace == key.namespace
        )


@dataclass(frozen=True)
class SyncRequest:
    """One sync operation (``operation.sync``)."""

    revision: str
    started_at: datetime
    """``status.operationState.startedAt``: names ``generateName`` hooks, so keep it across resumes."""
    prune: bool = False
    dry_run: bool = False
    resources: tuple[ResourceSelector, ...] = ()
    sync_options: tuple[str, ...] = ()
    apply_only: bool = False
    """``syncStrategy.apply``: only ``kubectl apply``, hooks do not run (the default ``hook``
    strategy runs them)."""
    force: bool = False
    prune_confirmed: bool = False
    """The Application carries an ``argocd.argoproj.io/deletion-approved`` later than ``started_at``."""


@dataclass(frozen=True)
class AppSettings:
    """The parts of the Application spec that shape a sync."""

    destination_namespace: str = ""
    sync_options: tuple[str, ...] = ()
    """``spec.syncPolicy.syncOptions``."""
    managed_namespace_metadata: Mapping[str, Any] | None = None
    """``spec.syncPolicy.managedNamespaceMetadata``: ``labels`` and ``annotations``."""
    allow_empty: bool = False
    """``spec.syncPolicy.automated.allowEmpty``: a sync may delete everything."""

    @classmethod
    def from_application(cls, app: Mapping[str, Any]) -> AppSettings:
        spec = _map(app.get("spec"))
        policy = _map(spec.get("syncPolicy"))
        automated = _map(policy.get("automated"))
        metadata = policy.get("managedNamespaceMetadata")
        return cls(
            destination_namespace=str(_map(spec.get("destination")).get("namespace") or ""),
            sync_options=tuple(str(o) for o in _list(policy.get("syncOptions"))),
            managed_namespace_metadata=metadata if isinstance(metadata, Mapping) else None,
            allow_empty=automated.get("allowEmpty") is True,
        )


def request_from_operation(
    operation: Mapping[str, Any], started_at: datetime, *, revision: str = "", prune_confirmed: bool = False
) -> tuple[SyncRequest, list[Problem]]:
    """Read ``operation`` (Argo CD JSON); ``revision`` overrides ``sync.revision`` once resolved."""
    problems: list[Problem] = []
    sync = _map(operation.get("sync"))
    strategy_spec = _map(sync.get("syncStrategy"))
    apply_only = "apply" in strategy_spec
    force = any(_map(strategy_spec.get(name)).get("force") is True for name in ("apply", "hook"))
    selectors: list[ResourceSelector] = []
    for i, item in enumerate(_list(sync.get("resources"))):
        entry = _map(item)
        if not entry.get("kind") or not entry.get("name"):
            problems.append(
                error(
                    None,
                    f"operation.sync.resources[{i}]",
                    "needs kind and name (group and namespace are optional); fix the sync request",
                )
            )
            continue
        selectors.append(
            ResourceSelector(
                str(entry.get("group") or ""),
                str(entry["kind"]),
                str(entry["name"]),
                str(entry.get("namespace") or ""),
            )
        )
    request = SyncRequest(
        revision=revision or str(sync.get("revision") or ""),
        started_at=started_at,
        prune=sync.get("prune") is True,
        dry_run=sync.get("dryRun") is True,
        resources=tuple(selectors),
        sync_options=tuple(str(o) for o in _list(sync.get("syncOptions"))),
        apply_only=apply_only,
        force=force,
        prune_confirmed=prune_confirmed,
    )
    return request, problems


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> Sequence[Any]:
    return value if isinstance(value, list) else []
