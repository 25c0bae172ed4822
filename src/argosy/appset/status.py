"""The ApplicationSet's ``status``, in Argo CD's layout: conditions and the generated apps' state.

Conditions (``type``/``status``/``reason``/``message``, Kubernetes style):
``ErrorOccurred``, ``ParametersGenerated`` and ``ResourcesUpToDate``; each keeps
its ``lastTransitionTime`` until its status changes. ``resources`` lists every
Application the set owns with its sync and health status, so
``kubectl get applicationset -o yaml`` answers "are my apps healthy?".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

UP_TO_DATE = "ApplicationSetUpToDate"
ERROR_OCCURRED = "ErrorOccurred"
PARAMETERS_GENERATED = "ParametersGenerated"
RESOURCES_UP_TO_DATE = "ResourcesUpToDate"
GENERATION_ERROR = "ApplicationGenerationFromParamsError"
VALIDATION_ERROR = "ApplicationValidationError"
DELETION_WAITING = "DeletionConfirmationRequired"
CONFIRM_DELETION_ANNOTATION = "argosy.argoproj.io/confirm-deletion"
"""Set by ``argosy appset confirm-deletion`` to the number of pending deletions it confirms."""


def fresh_conditions(
    generator_errors: Sequence[str], app_errors: Sequence[str], note: str = ""
) -> list[dict[str, str]]:
    """The three conditions for one reconcile's outcome (messages name the generators)."""
    if generator_errors:
        message = "; ".join(generator_errors)
        return [
            _cond(ERROR_OCCURRED, "True", GENERATION_ERROR, message),
            _cond(PARAMETERS_GENERATED, "False", ERROR_OCCURRED, message),
            _cond(RESOURCES_UP_TO_DATE, "False", ERROR_OCCURRED, message),
        ]
    if app_errors:
        message = "; ".join(app_errors)
        return [
            _cond(ERROR_OCCURRED, "True", VALIDATION_ERROR, message),
            _cond(
                PARAMETERS_GENERATED,
                "True",
                PARAMETERS_GENERATED,
                "Successfully generated parameters for all Applications",
            ),
            _cond(RESOURCES_UP_TO_DATE, "False", VALIDATION_ERROR, message),
        ]
    if note:
        return [
            _cond(ERROR_OCCURRED, "False", UP_TO_DATE, "All applications have been generated successfully"),
            _cond(
                PARAMETERS_GENERATED,
                "True",
                PARAMETERS_GENERATED,
                "Successfully generated parameters for all Applications",
            ),
            _cond(RESOURCES_UP_TO_DATE, "False", DELETION_WAITING, note),
        ]
    return [
        _cond(ERROR_OCCURRED, "False", UP_TO_DATE, "All applications have been generated successfully"),
        _cond(
            PARAMETERS_GENERATED,
            "True",
            PARAMETERS_GENERATED,
            "Successfully generated parameters for all Applications",
        ),
        _cond(RESOURCES_UP_TO_DATE, "True", UP_TO_DATE, "All applications have been generated successfully"),
    ]


def pending_deletions(status: Mapping[str, Any]) -> int:
    """How many deletions wait for ``argosy appset confirm-deletion`` (0: none)."""
    for cond in status.get("conditions") or []:
        if cond.get("reason") == DELETION_WAITING and cond.get("status") == "False":
            head = str(cond.get("message") or "").split(" ", 1)[0]
            return int(head) if head.isdigit() else 0
    return 0


def _cond(type_: str, status: str, reason: str, message: str) -> dict[str, str]:
    return {"type": type_, "status": status, "reason": reason, "message": message}


def rollout_condition(progressing: bool) -> dict[str, str]:
    """``RolloutProgressing``: True while some step's Applications are not yet Healthy."""
    if progressing:
        return _cond(
            "RolloutProgressing", "True", "ApplicationSetModified", "ApplicationSet is performing a rollout"
        )
    return _cond(
        "RolloutProgressing", "False", "ApplicationSetRolloutComplete", "ApplicationSet Rollout has completed"
    )


def merged_conditions(
    previous: Iterable[Mapping[str, Any]], fresh: Iterable[Mapping[str, str]], now: str
) -> list[dict[str, Any]]:
    """``fresh`` with the previous ``lastTransitionTime`` of conditions whose status did not change."""
    before = {c.get("type"): c for c in previous}
    out = []
    for cond in fresh:
        old = before.get(cond["type"]) or {}
        same = old.get("status") == cond["status"]
        out.append({**cond, "lastTransitionTime": old.get("lastTransitionTime") if same else now})
    return out


def resources(apps: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``status.resources``: each owned Application with its sync and health status."""
    out = []
    for app in sorted(apps, key=lambda a: str((a.get("metadata") or {}).get("name"))):
        meta = app.get("metadata") or {}
        status = app.get("status") or {}
        entry: dict[str, Any] = {
            "group": "argoproj.io",
            "version": "v1alpha1",
            "kind": "Application",
            "namespace": meta.get("namespace", ""),
            "name": meta.get("name", ""),
            "status": (status.get("sync") or {}).get("status") or "Unknown",
        }
        health = status.get("health") or {}
        entry["health"] = {"status": health.get("status") or "Unknown"}
        if health.get("message"):
            entry["health"]["message"] = health["message"]
        out.append(entry)
    return out
