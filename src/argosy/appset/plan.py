"""The writes that bring an ApplicationSet's Applications to what its generators produced.

Pure: given the ApplicationSet, the generated Applications and the ones it
owns now, :func:`plan` says which to create, update (with the object to
write) and delete. Rules, as in Argo CD:

* an update replaces spec, labels, annotations and finalizers, but keeps the
  live annotations other tools own (notifications state, ``refresh``,
  ``hydrate``), the ``spec.preservedFields`` annotations and labels, and the
  pre/post-delete hook finalizers; status and operation are never touched;
* specs are normalised before comparing (an empty project is ``default``,
  an empty ``syncPolicy`` or ``directory`` is absent), so nothing is written
  for a spec that only differs in spelling;
* ``ignoreApplicationDifferences`` fields are removed from both sides before
  comparing; if something else changed, the write is the JSON merge patch
  between those, applied to the live object (so a list holding an ignored
  field is replaced whole, as Argo CD does).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from argosy.engine.diff.ignore import IgnoreRule, IgnoreRuleLimitError, apply_rules, rule_from_mapping
from argosy.engine.jqpaths import JqRunner
from argosy.engine.mergepatch import merge_patch, merge_patch_between
from argosy.model.constants import (
    API_VERSION,
    KIND_APPLICATION_SET,
    POST_DELETE_FINALIZER,
    RESOURCES_FINALIZER,
)

KEPT_ANNOTATIONS = (
    "notified.notifications.argoproj.io",
    "argocd.argoproj.io/refresh",
    "argocd.argoproj.io/hydrate",
)
PRE_DELETE_FINALIZER = "pre-delete-finalizer.argocd.argoproj.io"


@dataclass
class Plan:
    create: list[dict[str, Any]] = field(default_factory=list)
    update: list[dict[str, Any]] = field(default_factory=list)
    """The whole objects to write (from the live ones, so resourceVersion guards the write)."""
    delete: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Apps left as they are because an ignoreApplicationDifferences jq expression hit its limit."""


def owner_reference(appset: Mapping[str, Any]) -> dict[str, Any]:
    meta = appset.get("metadata") or {}
    return {
        "apiVersion": API_VERSION,
        "kind": KIND_APPLICATION_SET,
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _with_owner(meta: dict[str, Any], owner: dict[str, Any]) -> None:
    refs = [r for r in meta.get("ownerReferences") or [] if not r.get("controller")]
    meta["ownerReferences"] = [*refs, owner]


def normalize_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec as compared: empty project → ``default``; empty ``syncPolicy``/``directory`` → absent."""
    out = copy.deepcopy(dict(spec))
    if not out.get("project"):
        out["project"] = "default"
    if out.get("syncPolicy") in ({}, None):
        out.pop("syncPolicy", None)
    for source in [out.get("source"), *(out.get("sources") or [])]:
        if isinstance(source, dict) and source.get("directory") in ({}, None):
            source.pop("directory", None)
    return out


def _ignore_rules(appset: Mapping[str, Any], app_name: str) -> list[IgnoreRule]:
    rules = []
    entries = (appset.get("spec") or {}).get("ignoreApplicationDifferences") or []
    for i, entry in enumerate(entries):
        if entry.get("name") and entry["name"] != app_name:
            continue
        rules.append(
            rule_from_mapping(
                entry, f"spec.ignoreApplicationDifferences[{i}]", group="argoproj.io", kind="Application"
            )
        )
    return rules


def _prune_empty(value: Any) -> Any:
    """Maps emptied by removing ignored fields compare as absent (``kustomize: {}`` = no kustomize)."""
    if isinstance(value, dict):
        pruned = {k: _prune_empty(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v != {}}
    if isinstance(value, list):
        return [_prune_empty(v) for v in value]
    return value


def _kept_finalizer(name: str) -> bool:
    return name.startswith(PRE_DELETE_FINALIZER) or name.startswith(POST_DELETE_FINALIZER)


def updated_object(
    appset: Mapping[str, Any],
    live: Mapping[str, Any],
    desired: Mapping[str, Any],
    jq: JqRunner | None = None,
) -> dict[str, Any] | None:
    """The object to write over ``live`` so it matches ``desired`` (None: nothing to write)."""
    preserved = (appset.get("spec") or {}).get("preservedFields") or {}
    live_meta = live.get("metadata") or {}
    want_meta = desired.get("metadata") or {}
    annotations = dict(want_meta.get("annotations") or {})
    for key in (*KEPT_ANNOTATIONS, *(preserved.get("annotations") or [])):
        if key in (live_meta.get("annotations") or {}):
            annotations[key] = live_meta["annotations"][key]
    labels = dict(want_meta.get("labels") or {})
    for key in preserved.get("labels") or []:
        if key in (live_meta.get("labels") or {}):
            labels[key] = live_meta["labels"][key]
    finalizers = list(want_meta.get("finalizers") or [])
    finalizers += [f for f in live_meta.get("finalizers") or [] if _kept_finalizer(f) and f not in finalizers]

    generated: dict[str, Any] = {
        "metadata": {"labels": labels, "annotations": annotations, "finalizers": finalizers},
        "spec": normalize_spec(desired.get("spec") or {}),
    }
    current: dict[str, Any] = {
        "metadata": {
            "labels": dict(live_meta.get("labels") or {}),
            "annotations": dict(live_meta.get("annotations") or {}),
            "finalizers": list(live_meta.get("finalizers") or []),
        },
        "spec": normalize_spec(live.get("spec") or {}),
    }
    rules = _ignore_rules(appset, str(live_meta.get("name") or ""))
    if rules:
        generated = _prune_empty(apply_rules(generated, rules, jq=jq))
        current = _prune_empty(apply_rules(current, rules, jq=jq))
    owner = owner_reference(appset)
    has_owner = any(
        r.get("controller") and r.get("kind") == KIND_APPLICATION_SET and r.get("name") == owner["name"]
        for r in live_meta.get("ownerReferences") or []
    )
    patch = merge_patch_between(current, generated)
    if patch is None and has_owner:
        return None
    result = copy.deepcopy(dict(live))
    if patch:
        result = merge_patch(result, patch)
    meta = result.setdefault("metadata", {})
    for key in ("labels", "annotations", "finalizers"):
        if not meta.get(key):
            meta.pop(key, None)
    _with_owner(meta, owner)
    return result


def new_object(appset: Mapping[str, Any], desired: Mapping[str, Any]) -> dict[str, Any]:
    """A generated Application as first written: owned by the ApplicationSet."""
    obj = copy.deepcopy(dict(desired))
    obj["spec"] = normalize_spec(obj.get("spec") or {})
    meta = obj.setdefault("metadata", {})
    meta.setdefault("namespace", (appset.get("metadata") or {}).get("namespace", ""))
    _with_owner(meta, owner_reference(appset))
    return obj


def plan(
    appset: Mapping[str, Any],
    desired: Iterable[Mapping[str, Any]],
    owned: Iterable[Mapping[str, Any]],
    *,
    update: bool = True,
    delete: bool = True,
    jq: JqRunner | None = None,
) -> Plan:
    """Creates always; updates and deletes as the policy allows.

    ``jq`` runs ``ignoreApplicationDifferences`` jq expressions (the controller passes
    the bounded pool); an app whose expression hits a limit is left unchanged and named
    in ``errors``, never overwritten without the rule.
    """
    result = Plan()
    live_by_name = {str((a.get("metadata") or {}).get("name")): a for a in owned}
    wanted: set[str] = set()
    for app in desired:
        name = str((app.get("metadata") or {}).get("name") or "")
        wanted.add(name)
        live = live_by_name.get(name)
        if live is None:
            result.create.append(new_object(appset, app))
        elif not update:
            result.unchanged.append(name)
        else:
            try:
                obj = updated_object(appset, live, app, jq)
            except IgnoreRuleLimitError as exc:
                result.unchanged.append(name)
                result.errors.append(f"Application {name!r}: {exc}")
                continue
            if obj is None:
                result.unchanged.append(name)
            else:
                result.update.append(obj)
    if delete:
        result.delete = [copy.deepcopy(dict(a)) for n, a in live_by_name.items() if n not in wanted]
    return result


def finalizers_before_delete(app: Mapping[str, Any], destination_valid: bool) -> list[str] | None:
    """An app whose destination is invalid loses only the resources finalizer, so deletion cannot hang."""
    finalizers = list((app.get("metadata") or {}).get("finalizers") or [])
    if destination_valid:
        return finalizers or None
    kept = [f for f in finalizers if not f.startswith(RESOURCES_FINALIZER)]
    return kept or None


def needs_confirmation(deleting: int, owned: int, min_count: int, max_share: float) -> bool:
    """A deletion of at least ``min_count`` apps that are more than ``max_share`` of the owned ones.

    Such a drop usually means a generator went wrong (an SCM outage, a bad
    selector, a mistyped path) rather than that the apps should go.
    """
    return deleting >= min_count and deleting > owned * max_share
