"""Progressive sync (``strategy.type: RollingSync``): Applications sync step by step.

Each step selects Applications by their labels (``matchExpressions`` with
``In``/``NotIn``); a step's Applications are synced only once every
Application of the earlier steps is Healthy, and at most ``maxUpdate`` of a
step (a number, or a percentage of the step's apps; default all) are in
flight at once. The generated apps' own ``syncPolicy.automated`` is removed,
so only the rollout syncs them; apps that match no step are never synced by
it (the message says so).

An app with pending changes (its spec rewritten by this pass, or not yet
compared by the application controller: ``status.sync.comparedTo`` differs
from its spec) is ``Waiting`` and not Healthy, whatever its old sync status
says: after a template change the apps go OutOfSync one by one, and a later
step's app seen OutOfSync first must not start while an earlier step's app
still shows the Synced/Healthy of its old spec. It is synced once compared.

``status.applicationStatus`` tells where each app is: ``Waiting`` (out of
sync, its step not reached or no room under ``maxUpdate``), ``Pending`` (a sync
was requested), ``Progressing`` (syncing, or not yet Healthy), ``Healthy``.
This module is pure: it decides, the controller writes.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from argosy.controller.status import compared_to

WAITING, PENDING, PROGRESSING, HEALTHY = "Waiting", "Pending", "Progressing", "Healthy"
PENDING_CHANGES = (
    "Application has pending changes; it syncs once the application controller has compared them"
)
ROLLOUT_CONDITION = "RolloutProgressing"


def is_rolling_sync(appset: Mapping[str, Any]) -> bool:
    return (((appset.get("spec") or {}).get("strategy") or {}).get("type") or "") == "RollingSync"


def steps_of(appset: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    strategy = (appset.get("spec") or {}).get("strategy") or {}
    return list(((strategy.get("rollingSync") or {}).get("steps")) or [])


def _matches(step: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    for expr in step.get("matchExpressions") or []:
        key, op, values = (
            expr.get("key", ""),
            expr.get("operator", ""),
            [str(v) for v in expr.get("values") or []],
        )
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
    return True


def step_of(steps: Sequence[Mapping[str, Any]], labels: Mapping[str, str]) -> int:
    """Index of the first step selecting these labels (-1: none)."""
    return next((i for i, step in enumerate(steps) if _matches(step, labels)), -1)


def max_update(step: Mapping[str, Any], size: int) -> int:
    """How many of a step's ``size`` apps may be in flight at once (at least 1)."""
    raw = step.get("maxUpdate")
    if raw is None or raw == "":
        return max(size, 1)
    if isinstance(raw, str) and raw.endswith("%"):
        try:
            share = float(raw[:-1]) / 100.0
        except ValueError:
            return max(size, 1)
        return max(1, math.floor(size * share))
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return max(size, 1)


def without_automated_sync(app: dict[str, Any]) -> dict[str, Any]:
    """A generated app under RollingSync: the rollout, not auto-sync, decides when it syncs."""
    policy = (app.get("spec") or {}).get("syncPolicy")
    if isinstance(policy, dict):
        policy.pop("automated", None)
        if not policy:
            app["spec"].pop("syncPolicy", None)
    return app


@dataclass
class Rollout:
    statuses: list[dict[str, Any]] = field(default_factory=list)
    """``status.applicationStatus``."""
    to_sync: list[str] = field(default_factory=list)
    """Apps to start syncing now."""
    progressing: bool = False


def _uncompared(app: Mapping[str, Any]) -> bool:
    """Its sync status is of an older spec: the application controller has not compared this one yet."""
    compared = ((app.get("status") or {}).get("sync") or {}).get("comparedTo")
    return bool(compared) and compared != compared_to(dict(app))


def _state(app: Mapping[str, Any], previous: str, changed: bool = False) -> tuple[str, str]:
    """One app's rollout state from its live status (and what the rollout asked before)."""
    status = app.get("status") or {}
    sync = (status.get("sync") or {}).get("status") or ""
    health = (status.get("health") or {}).get("status") or ""
    phase = (status.get("operationState") or {}).get("phase") or ""
    if app.get("operation") or phase in ("Running", "Terminating"):
        return PROGRESSING, "Application sync is in progress"
    if changed or _uncompared(app):
        return WAITING, PENDING_CHANGES
    if sync == "Synced" and health == "Healthy":
        return HEALTHY, "Application is Synced and Healthy"
    if sync == "Synced":
        return PROGRESSING, f"Application is Synced, health {health or 'Unknown'}"
    if previous in (PENDING, PROGRESSING) and phase in ("Failed", "Error"):
        return (
            WAITING,
            f"Application sync {phase.lower()}: {(status.get('operationState') or {}).get('message', '')}",
        )
    return WAITING, "Application is out of sync; waiting for its step"


def plan_rollout(
    appset: Mapping[str, Any],
    apps: Sequence[Mapping[str, Any]],
    previous: Sequence[Mapping[str, Any]],
    now: str,
    changed: Collection[str] = (),
) -> Rollout:
    """The rollout's next move, from the owned apps' live status and the previous ``applicationStatus``.

    ``changed``: the apps whose spec this pass rewrites (their live status is of the old spec)."""
    steps = steps_of(appset)
    before = {str(s.get("application")): s for s in previous}
    by_step: dict[int, list[Mapping[str, Any]]] = {}
    for app in apps:
        labels = (app.get("metadata") or {}).get("labels") or {}
        by_step.setdefault(step_of(steps, labels), []).append(app)
    out = Rollout()
    earlier_healthy = True
    for index in range(len(steps)):
        members = sorted(by_step.get(index, []), key=lambda a: str(a["metadata"]["name"]))
        states: dict[str, tuple[str, str]] = {}
        for app in members:
            name = str(app["metadata"]["name"])
            states[name] = _state(app, str((before.get(name) or {}).get("status") or ""), name in changed)
        in_flight = sum(1 for s, _ in states.values() if s in (PENDING, PROGRESSING))
        room = max_update(steps[index], len(members)) - in_flight
        for name in sorted(states):
            state, message = states[name]
            if message == PENDING_CHANGES:
                continue
            if state == WAITING and earlier_healthy and room > 0:
                out.to_sync.append(name)
                states[name] = (PENDING, f"Application moved to Pending by step {index + 1}")
                room -= 1
            elif state == WAITING and not earlier_healthy:
                states[name] = (WAITING, f"Waiting for the Applications of step {index} to become Healthy")
        for name, (state, message) in states.items():
            old = before.get(name) or {}
            out.statuses.append(
                {
                    "application": name,
                    "status": state,
                    "message": message,
                    "step": str(index + 1),
                    "lastTransitionTime": old.get("lastTransitionTime")
                    if old.get("status") == state
                    else now,
                }
            )
        if any(state != HEALTHY for state, _ in states.values()):
            earlier_healthy = False
            out.progressing = True
    for app in by_step.get(-1, []):
        name = str(app["metadata"]["name"])
        out.statuses.append(
            {
                "application": name,
                "status": WAITING,
                "message": "Application matches no step of the rolling sync; it is not synced by the rollout",
                "step": "-1",
                "lastTransitionTime": (before.get(name) or {}).get("lastTransitionTime") or now,
            }
        )
    out.statuses.sort(key=lambda s: (int(s["step"]) if s["step"] != "-1" else 1 << 30, s["application"]))
    return out


def sync_operation() -> dict[str, Any]:
    """The ``operation`` that starts an app's sync, marked as the ApplicationSet controller's."""
    return {"sync": {"syncStrategy": {"hook": {}}}, "initiatedBy": {"username": "applicationset-controller"}}
