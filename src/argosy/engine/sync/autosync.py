"""Automated sync and self-heal: when the controller starts a sync on its own.

With ``spec.syncPolicy.automated`` an OutOfSync application is synced once
per new revision (or new source settings). If that sync fails, it is retried
only as its retry policy allows (inside the operation); after that the
controller waits for a new commit and shows the failure as a SyncError
condition instead of trying again in a loop.

Drift of the same revision (someone ran ``kubectl edit``) is only reverted
with ``selfHeal: true``, and not at once: the controller waits the self-heal
timeout (5 s by default) after the last sync finished, and longer after
repeated self-heals (2 s times 3 to the n, at most 5 minutes; the count resets once the
app stayed synced for the cooldown), so a controller fighting another one
over a field does not spin. A self-heal sync only touches the objects that
drifted.

With ``prune: false`` a change that only removes objects does not start a
sync (there would be nothing to do). With ``prune: true`` and without
``allowEmpty: true``, a render that would delete every object is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from argosy.engine.sync.retry import AUTOMATED_DEFAULT_LIMIT
from argosy.model.constants import ANNOTATION_IMAGE_OVERRIDES, INFO_IMAGE_OVERRIDES


@dataclass(frozen=True)
class AutomatedPolicy:
    prune: bool = False
    self_heal: bool = False
    allow_empty: bool = False

    @classmethod
    def from_application(cls, app: Mapping[str, Any]) -> AutomatedPolicy | None:
        """``spec.syncPolicy.automated``; None when absent or ``enabled: false``."""
        automated = _map(_map(_map(app).get("spec")).get("syncPolicy")).get("automated")
        if not isinstance(automated, Mapping) or automated.get("enabled") is False:
            return None
        return cls(
            prune=automated.get("prune") is True,
            self_heal=automated.get("selfHeal") is True,
            allow_empty=automated.get("allowEmpty") is True,
        )


@dataclass(frozen=True)
class ResourceState:
    """One entry of ``status.resources``."""

    group: str
    kind: str
    namespace: str
    name: str
    status: str
    requires_pruning: bool = False


@dataclass(frozen=True)
class LastSync:
    """What ``status.operationState`` says about the most recent sync."""

    revision: str
    phase: str
    finished_at: datetime | None
    message: str = ""
    same_source: bool = True
    """The app's source (ignoring targetRevision) is the one that sync used."""
    self_heal_attempts: int = 0


@dataclass(frozen=True)
class SelfHealSettings:
    timeout: timedelta = timedelta(seconds=5)
    backoff_duration: timedelta = timedelta(seconds=2)
    backoff_factor: float = 3.0
    backoff_cap: timedelta = timedelta(minutes=5)
    cooldown: timedelta = timedelta(seconds=330)

    def delay(self, attempts: int) -> timedelta:
        """Wait after the last sync before self-heal number ``attempts + 1``."""
        if attempts <= 0:
            return self.timeout
        backoff = self.backoff_duration * self.backoff_factor ** (attempts - 1)
        return max(self.timeout, min(self.backoff_cap, backoff))


class Verdict(StrEnum):
    SYNC = "sync"
    WAIT = "wait"
    NONE = "none"


@dataclass(frozen=True)
class AutoSyncDecision:
    verdict: Verdict
    reason: str
    at: datetime | None = None
    """For WAIT: when to look again."""
    condition: str = ""
    """A SyncError condition message to show on the Application (empty: clear it)."""
    self_heal: bool = False
    resources: tuple[ResourceState, ...] = ()
    """For a self-heal sync: only these objects."""
    self_heal_attempts: int = 0


def decide_auto_sync(
    policy: AutomatedPolicy | None,
    *,
    revision: str,
    sync_status: str,
    resources: Sequence[ResourceState],
    last: LastSync | None,
    now: datetime,
    operation_in_progress: bool = False,
    deleting: bool = False,
    settings: SelfHealSettings = SelfHealSettings(),
) -> AutoSyncDecision:
    """Whether to start an automated sync now, later, or not at all, and why."""
    if policy is None:
        return AutoSyncDecision(Verdict.NONE, "automated sync is not enabled")
    if operation_in_progress:
        return AutoSyncDecision(Verdict.NONE, "another operation is in progress")
    if deleting:
        return AutoSyncDecision(Verdict.NONE, "the application is being deleted")
    if sync_status != "OutOfSync":
        return AutoSyncDecision(Verdict.NONE, f"the application is {sync_status or 'Unknown'}, not OutOfSync")
    if not policy.prune and all(r.status == "Synced" or r.requires_pruning for r in resources):
        return AutoSyncDecision(
            Verdict.NONE, "only pruning is needed, and automated prune is off (set automated.prune: true)"
        )

    attempted = last is not None and last.revision == revision and last.same_source
    if last is not None and attempted:
        if last.phase != "Succeeded":
            message = f"Failed sync attempt to {revision}: {last.message}".rstrip(": ")
            return AutoSyncDecision(
                Verdict.NONE,
                f"the last sync of {revision} ended {last.phase}; it is not retried beyond its retry "
                "policy. Fix the cause and push a new commit, or sync manually",
                condition=message,
            )
        if not policy.self_heal:
            return AutoSyncDecision(
                Verdict.NONE, f"already synced to {revision}; drift is left alone (selfHeal is off)"
            )
        return _self_heal(revision, resources, last, now, settings)

    if policy.prune and not policy.allow_empty and resources and all(r.requires_pruning for r in resources):
        message = f"Skipping sync attempt to {revision}: auto-sync will wipe out all resources"
        return AutoSyncDecision(
            Verdict.NONE,
            f"{message}; set automated.allowEmpty: true if that is intended",
            condition=message,
        )
    why = "source settings changed" if last is not None and last.revision == revision else "new revision"
    return AutoSyncDecision(Verdict.SYNC, f"{why}: syncing to {revision}")


def _self_heal(
    revision: str,
    resources: Sequence[ResourceState],
    last: LastSync,
    now: datetime,
    settings: SelfHealSettings,
) -> AutoSyncDecision:
    attempts = last.self_heal_attempts
    if last.finished_at is not None and now - last.finished_at >= settings.cooldown:
        attempts = 0
    delay = settings.delay(attempts)
    due = (last.finished_at or now) + delay
    if last.finished_at is None or now < due:
        return AutoSyncDecision(
            Verdict.WAIT,
            f"drift from {revision} will be healed {delay.total_seconds():g}s after the last sync",
            at=due,
            self_heal_attempts=attempts,
        )
    drifted = tuple(r for r in resources if r.status != "Synced")
    return AutoSyncDecision(
        Verdict.SYNC,
        f"self-heal: {len(drifted)} object(s) drifted from {revision}",
        self_heal=True,
        resources=drifted,
        self_heal_attempts=attempts + 1,
    )


def auto_sync_operation(app: Mapping[str, Any], revision: str, decision: AutoSyncDecision) -> dict[str, Any]:
    """The ``operation`` to write on the Application for a SYNC decision (Argo CD's JSON)."""
    policy = _map(_map(app.get("spec")).get("syncPolicy"))
    automated = AutomatedPolicy.from_application(app) or AutomatedPolicy()
    sync: dict[str, Any] = {"revision": revision, "prune": automated.prune}
    if policy.get("syncOptions"):
        sync["syncOptions"] = list(policy["syncOptions"])
    if decision.self_heal:
        sync["resources"] = [
            {
                "group": r.group,
                "kind": r.kind,
                "name": r.name,
                **({"namespace": r.namespace} if r.namespace else {}),
            }
            for r in decision.resources
        ]
        sync["autoHealAttemptsCount"] = decision.self_heal_attempts
    retry = policy.get("retry")
    operation: dict[str, Any] = {
        "sync": sync,
        "initiatedBy": {"automated": True},
        "retry": dict(retry) if isinstance(retry, Mapping) else {"limit": AUTOMATED_DEFAULT_LIMIT},
    }
    overrides = image_overrides(app)
    if overrides:
        operation["info"] = [{"name": INFO_IMAGE_OVERRIDES, "value": overrides}]
    return operation


def image_overrides(app: Mapping[str, Any]) -> str:
    """The app's ``argosy.io/image-overrides`` (part of its source settings for automated sync)."""
    annotations = _map(_map(app.get("metadata")).get("annotations"))
    return str(annotations.get(ANNOTATION_IMAGE_OVERRIDES) or "")


def recorded_image_overrides(operation: Mapping[str, Any]) -> str:
    """The image overrides a sync operation recorded in its ``info``."""
    for entry in operation.get("info") or []:
        if isinstance(entry, Mapping) and entry.get("name") == INFO_IMAGE_OVERRIDES:
            return str(entry.get("value") or "")
    return ""


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
