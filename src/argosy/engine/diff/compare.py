"""The two diff modes: structural three-way, and server-side (dry-run result vs live)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from argosy.engine.diff.ignore import (
    IgnoreRule,
    apply_rules,
    managers_of,
    matching,
    rules_from_application,
    rules_from_overrides,
    shallow,
)
from argosy.engine.diff.managedfields import manager_fields, owned_subset, owns, remove_owned
from argosy.engine.diff.normalize import drop_namespace, normalize, prune_empty
from argosy.engine.diff.objects import describe, last_applied
from argosy.engine.diff.options import CompareSettings
from argosy.engine.diff.redact import redact_result
from argosy.engine.diff.result import DiffResult, FieldChange, walk
from argosy.engine.diff.threeway import predict_live
from argosy.engine.jqpaths import JqRunner
from argosy.settings import resource_customizations

FIELD_MANAGER = "argosy-controller"
# Written by the API server on every change; never drift.
_SERVER_METADATA = ("managedFields", "resourceVersion", "generation", "creationTimestamp", "uid", "selfLink")


@dataclass(frozen=True)
class DiffConfig:
    """Everything that shapes a comparison besides the two objects."""

    ignore_rules: tuple[IgnoreRule, ...] = ()
    ignore_aggregated_roles: bool = False
    #: Where jqPathExpressions run (None: in this process, unbounded; services inject a bounded pool).
    jq: JqRunner | None = field(default=None, compare=False)

    @classmethod
    def build(
        cls,
        argocd_cm: dict[str, str] | None = None,
        app_ignore_differences: Sequence[Any] | None = None,
        app_name: str = "",
        jq: JqRunner | None = None,
    ) -> DiffConfig:
        """Rules of an Application plus the system-wide ones of ``argocd-cm``'s data.

        Raises ``SettingsError``/``IgnoreRuleError``/``CompareOptionsError`` with
        the key or ``spec.ignoreDifferences[i]`` at fault. A comparison made with the
        config raises ``IgnoreRuleLimitError`` when a jq expression hits a limit of ``jq``.
        """
        data = argocd_cm or {}
        compare = CompareSettings.from_argocd_cm(data)
        rules = [
            *rules_from_application(app_ignore_differences, app_name),
            *rules_from_overrides(resource_customizations.parse(data)),
            *compare.status_rules(),
        ]
        return cls(ignore_rules=tuple(rules), ignore_aggregated_roles=compare.ignore_aggregated_roles, jq=jq)


def _prepare(obj: dict[str, Any], rules: Sequence[IgnoreRule], config: DiffConfig) -> dict[str, Any]:
    normalized = normalize(obj, ignore_aggregated_roles=config.ignore_aggregated_roles)
    ignored = apply_rules(normalized, rules, in_place=True, jq=config.jq)
    if shallow(rules):  # the default rule (/status) removes a top-level field: nothing left empty
        return ignored
    pruned: dict[str, Any] = prune_empty(ignored)
    return pruned


def _without_managers(obj: dict[str, Any] | None, trees: list[dict[str, Any]]) -> dict[str, Any] | None:
    if obj is None:
        return None
    for tree in trees:
        obj = remove_owned(obj, tree)
    return obj


def _one_sided(
    desired: dict[str, Any] | None, live: dict[str, Any] | None, config: DiffConfig, mode: str
) -> DiffResult:
    if desired is None and live is None:
        raise ValueError("diff needs a desired or a live object, got neither")
    rules = matching(config.ignore_rules, live or desired)
    if desired is None:
        assert live is not None
        # Live but not in Git: not "modified"; pruning decides what happens to it.
        norm_live = _prepare(live, rules, config)
        return redact_result(
            DiffResult(modified=False, normalized_live=norm_live, mode=mode), last_applied(live)
        )
    norm = _prepare(desired, rules, config)
    result = DiffResult(
        modified=True,
        changes=[FieldChange("", norm, None)],
        normalized_desired=norm,
        predicted_live=norm,
        mode=mode,
    )
    return redact_result(result)


def diff(
    desired: dict[str, Any] | None,
    live: dict[str, Any] | None,
    config: DiffConfig | None = None,
    *,
    manager: str = FIELD_MANAGER,
) -> DiffResult:
    """Structural three-way diff of ``desired`` (from Git) against ``live``.

    Fields the server set and neither desired nor the last-applied configuration
    mention are not drift; fields dropped from desired that were last applied are.
    An object applied server-side has no last-applied annotation: the fields
    ``manager`` owns in ``managedFields`` stand in for it.
    """
    config = config or DiffConfig()
    if desired is None or live is None:
        return _one_sided(desired, live, config, "structural")
    rules = matching(config.ignore_rules, live)
    orig = last_applied(live)
    if orig is None:
        owned = manager_fields(live, {manager})
        if owned:
            orig = owned_subset(live, owned[0])
    trees = manager_fields(live, managers_of(rules))
    if trees:
        desired, orig = _without_managers(desired, trees), _without_managers(orig, trees)
        live = _without_managers(live, trees)
    assert desired is not None and live is not None
    norm_desired = _prepare(desired, rules, config)
    norm_live = _prepare(live, rules, config)
    target = drop_namespace(norm_desired)
    base = drop_namespace(_prepare(orig, rules, config)) if orig is not None else target
    predicted = predict_live(target, norm_live, base)
    changes = walk(predicted, norm_live)
    result = DiffResult(
        modified=bool(changes),
        changes=changes,
        normalized_desired=norm_desired,
        normalized_live=norm_live,
        predicted_live=predicted,
    )
    return redact_result(result, orig)


def _strip_server_metadata(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        return obj
    return {**obj, "metadata": {k: v for k, v in meta.items() if k not in _SERVER_METADATA}}


def _pointer_tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]] if pointer else []


def server_side_diff(
    desired: dict[str, Any] | None,
    live: dict[str, Any] | None,
    predicted_live: dict[str, Any] | None,
    config: DiffConfig | None = None,
    *,
    manager: str = FIELD_MANAGER,
    include_mutation_webhook: bool = False,
) -> DiffResult:
    """Compare the result of a server-side-apply dry run of ``desired`` with ``live``.

    The API server already applied its defaults and canonical forms to
    ``predicted_live``, so the objects are compared whole (bar server-written
    metadata). Unless ``include_mutation_webhook``, a difference in a field that
    ``manager`` owns neither in the prediction nor in live came from a mutating
    webhook or the server, not from Git, and is left out.
    """
    config = config or DiffConfig()
    if desired is None or live is None:
        return _one_sided(desired, live, config, "server-side")
    if predicted_live is None:
        raise ValueError(f"server-side diff of {describe(desired)} needs the dry-run result, got none")
    rules = matching(config.ignore_rules, live)
    trees = manager_fields(live, managers_of(rules))
    own_predicted = manager_fields(predicted_live, {manager})
    own_live = manager_fields(live, {manager})
    predicted, current = predicted_live, live
    if trees:
        predicted = _without_managers(predicted, trees) or {}
        current = _without_managers(current, trees) or {}
    norm_pred = _prepare(_strip_server_metadata(predicted), rules, config)
    norm_live = _prepare(_strip_server_metadata(current), rules, config)
    changes = walk(norm_pred, norm_live)
    if not include_mutation_webhook and (own_predicted or own_live):
        changes = [
            c
            for c in changes
            if any(owns(t, norm_pred, _pointer_tokens(c.path)) for t in own_predicted)
            or any(owns(t, norm_live, _pointer_tokens(c.path)) for t in own_live)
        ]
    result = DiffResult(
        modified=bool(changes),
        changes=changes,
        normalized_desired=_prepare(desired, rules, config),
        normalized_live=norm_live,
        predicted_live=norm_pred,
        mode="server-side",
    )
    return redact_result(result, last_applied(live))


def server_side_cache_key(
    desired: dict[str, Any], live_resource_version: str, manager: str = FIELD_MANAGER
) -> str:
    """Key under which to cache a dry-run result: it only changes when Git's
    object or the live object (its resourceVersion) changes."""
    body = json.dumps(desired, sort_keys=True, separators=(",", ":"), default=str)
    digest = hashlib.sha256()
    for part in (manager, live_resource_version, body):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def prediction_key(desired: dict[str, Any], live: dict[str, Any], manager: str = FIELD_MANAGER) -> str:
    """Key under which to cache the dry run of ``desired`` over ``live``.

    A server-side apply of an object that sets no ``status`` never touches status, so a live
    object whose status alone changed (a Deployment rolling out: five or more status writes by
    kube-controller-manager) predicts the same result: keyed by the live object without its
    status, status field managers and write times, one dry run serves them all (with the
    current status put back by :func:`with_live_status`). Otherwise, by resourceVersion.
    """
    meta = live.get("metadata") or {}
    if "status" in desired or "status" not in live:
        return server_side_cache_key(desired, str(meta.get("resourceVersion") or ""), manager)
    managed = [
        {k: v for k, v in entry.items() if k != "time"}
        for entry in meta.get("managedFields") or []
        if isinstance(entry, dict) and entry.get("subresource") != "status"
    ]
    basis = {
        **{k: v for k, v in live.items() if k != "status"},
        "metadata": {
            **{k: v for k, v in meta.items() if k not in ("resourceVersion", "managedFields")},
            "managedFields": managed,
        },
    }
    body = json.dumps(basis, sort_keys=True, separators=(",", ":"), default=str)
    return server_side_cache_key(desired, "content:" + hashlib.sha256(body.encode()).hexdigest(), manager)


def with_live_status(predicted: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
    """A cached prediction as the dry run would answer now: live's current status (see
    :func:`prediction_key`) and resourceVersion."""
    out = {k: v for k, v in predicted.items() if k != "status"}
    if "status" in live:
        out["status"] = live["status"]
    version = (live.get("metadata") or {}).get("resourceVersion")
    if version is not None and isinstance(out.get("metadata"), dict):
        out["metadata"] = {**out["metadata"], "resourceVersion": version}
    return out
