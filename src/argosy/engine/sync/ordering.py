"""Putting tasks in order: phase, wave, kind, name; then dependencies and prunes.

The sort is Argo CD's: phase (PreSync, Sync, PostSync, SyncFail), then wave,
then the kind table of :mod:`.kind_order`, then name. Two corrections follow,
also Argo CD's, so that a wave number chosen for one reason does not break
another:

* a Namespace declared in a later wave than an object placed in it moves to
  just before the first such object, taking its phase and wave;
* a CustomResourceDefinition moves to just before the first custom object of
  the group and kind it defines.

Deleting happens in the reverse of creating: the waves of prune tasks are
mirrored (the prune of an object from the highest wave runs in the lowest prune
wave), and ``PruneLast=true`` moves a prune after every other task, into one
wave past the last wave of the Sync phase. Ties (same phase, wave, kind and
name) are broken by namespace, group and kind, so the plan is the same every
time for the same input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from argosy.engine.keys import ResourceKey
from argosy.engine.sync.common import PHASE_ORDER, SyncPhase, is_crd, is_namespace
from argosy.engine.sync.kind_order import kind_index


@dataclass
class Draft:
    """A task while it is being ordered; :mod:`.plan` turns it into a :class:`SyncTask`."""

    key: ResourceKey
    phase: SyncPhase
    wave: int
    target: Mapping[str, Any] | None
    live: Mapping[str, Any] | None
    payload: Any = None
    """Whatever the planner needs to finish the task (hook spec, options, ...)."""
    notes: list[str] = field(default_factory=list)

    @property
    def is_prune(self) -> bool:
        return self.target is None

    def sort_key(self) -> tuple[int, int, int, str, str, str, str]:
        k = self.key
        return (PHASE_ORDER[self.phase], self.wave, kind_index(k.kind), k.name, k.namespace, k.group, k.kind)


def order(drafts: list[Draft], prune_last: Callable[[Draft], bool]) -> list[Draft]:
    """Sort the drafts in place of run order and return them."""
    _mirror_prune_waves(drafts)
    _apply_prune_last(drafts, prune_last)
    drafts.sort(key=Draft.sort_key)
    _hoist(drafts, _namespace_dependency, _namespace_reference, "Namespace")
    _hoist(drafts, _crd_dependency, _custom_resource_reference, "CustomResourceDefinition")
    return drafts


def _mirror_prune_waves(drafts: list[Draft]) -> None:
    waves = sorted({d.wave for d in drafts if d.is_prune})
    mirrored = dict(zip(waves, reversed(waves), strict=True))
    for d in drafts:
        if d.is_prune and mirrored[d.wave] != d.wave:
            d.notes.append(
                f"prune moved from wave {d.wave} to wave {mirrored[d.wave]}: "
                "deletes run in reverse wave order"
            )
            d.wave = mirrored[d.wave]


def _apply_prune_last(drafts: list[Draft], prune_last: Callable[[Draft], bool]) -> None:
    last = max((d.wave for d in drafts if d.phase is SyncPhase.SYNC), default=0)
    after = max(last, 0) + 1
    for d in drafts:
        if d.is_prune and prune_last(d):
            d.notes.append(f"PruneLast=true: pruned in wave {after}, after every other task")
            d.wave = after


def _hoist(
    drafts: list[Draft],
    dependency: Callable[[Mapping[str, Any]], str | None],
    reference: Callable[[Mapping[str, Any]], str | None],
    what: str,
) -> None:
    first_user: dict[str, int] = {}
    for i, d in enumerate(drafts):
        if d.target is None:
            continue
        dep = dependency(d.target)
        if dep is None:
            ref = reference(d.target)
            if ref is not None and ref not in first_user:
                first_user[ref] = i
            continue
        index = first_user.get(dep)
        if index is None:
            continue
        user = drafts[index]
        if (user.phase, user.wave) != (d.phase, d.wave):
            d.notes.append(
                f"{what} moved from {d.phase}/wave {d.wave} to {user.phase}/wave {user.wave}: "
                f"{user.key} needs it"
            )
        d.phase, d.wave = user.phase, user.wave
        drafts.insert(index, drafts.pop(i))
        for name, at in first_user.items():
            if at >= index:
                first_user[name] = at + 1


def _namespace_dependency(obj: Mapping[str, Any]) -> str | None:
    return ResourceKey.of(obj).name if is_namespace(obj) else None


def _namespace_reference(obj: Mapping[str, Any]) -> str | None:
    return ResourceKey.of(obj).namespace or None


def _crd_dependency(obj: Mapping[str, Any]) -> str | None:
    if not is_crd(obj):
        return None
    spec = obj.get("spec")
    if not isinstance(spec, Mapping):
        return None
    names = spec.get("names")
    group, kind = spec.get("group"), names.get("kind") if isinstance(names, Mapping) else None
    if not isinstance(group, str) or not isinstance(kind, str):
        return None
    return f"{group}/{kind}"


def _custom_resource_reference(obj: Mapping[str, Any]) -> str | None:
    key = ResourceKey.of(obj)
    return f"{key.group}/{key.kind}"
