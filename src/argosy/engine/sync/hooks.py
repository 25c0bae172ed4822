"""Resource hooks: objects run at a point of the sync instead of being kept in sync.

``argocd.argoproj.io/hook`` takes a comma-separated list of ``PreSync``,
``Sync``, ``PostSync``, ``SyncFail``, ``PostDelete`` (run when the Application
is deleted), ``PreDelete`` and ``Skip`` (never apply this object). A hook
listed for several phases runs once in each.

Helm charts work unchanged: ``helm.sh/hook`` is mapped as Argo CD maps it
(``pre-install``/``pre-upgrade`` → PreSync, ``post-install``/``post-upgrade`` →
PostSync, ``post-delete`` → PostDelete; ``crd-install`` is not a hook, the CRD
is synced like any object; ``pre-delete``, ``pre-rollback``, ``post-rollback``
and ``test*`` have no equivalent and are ignored). When an object carries any
Argo CD hook, its Helm hook types are ignored.

When a hook is deleted is set by ``argocd.argoproj.io/hook-delete-policy``
(``HookSucceeded``, ``HookFailed``, ``BeforeHookCreation``) and Helm's
``helm.sh/hook-delete-policy`` (``hook-succeeded``, ``hook-failed``,
``before-hook-creation``); both lists count, and with neither the policy is
``BeforeHookCreation``, so a named hook is replaced on every sync.

A hook with ``metadata.generateName`` gets its name from the operation (see
:func:`generated_hook_name`), so a controller that resumes an operation after a
restart finds the hook it already created instead of starting another one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from argosy.engine.keys import ResourceKey
from argosy.engine.sync.common import (
    ANNOTATION_HELM_HOOK,
    ANNOTATION_HELM_HOOK_DELETE_POLICY,
    ANNOTATION_HOOK,
    ANNOTATION_HOOK_DELETE_POLICY,
    PHASE_ORDER,
    Problem,
    SyncPhase,
    annotation,
    annotation_field,
    csv,
    error,
    warning,
)
from argosy.model.status import HookDeletePolicy, HookType

HELM_HOOK_TYPES: Final[dict[str, HookType]] = {
    "pre-install": HookType.PRE_SYNC,
    "pre-upgrade": HookType.PRE_SYNC,
    "post-install": HookType.POST_SYNC,
    "post-upgrade": HookType.POST_SYNC,
    "post-delete": HookType.POST_DELETE,
}
HELM_CRD_INSTALL: Final = "crd-install"
HELM_UNSUPPORTED: Final[frozenset[str]] = frozenset(
    {"pre-delete", "pre-rollback", "post-rollback", "test", "test-success", "test-failure"}
)
HELM_DELETE_POLICIES: Final[dict[str, HookDeletePolicy]] = {
    "before-hook-creation": HookDeletePolicy.BEFORE_HOOK_CREATION,
    "hook-succeeded": HookDeletePolicy.HOOK_SUCCEEDED,
    "hook-failed": HookDeletePolicy.HOOK_FAILED,
}

_SYNC_PHASE_HOOKS: Final[dict[HookType, SyncPhase]] = {
    HookType.PRE_SYNC: SyncPhase.PRE_SYNC,
    HookType.SYNC: SyncPhase.SYNC,
    HookType.POST_SYNC: SyncPhase.POST_SYNC,
    HookType.SYNC_FAIL: SyncPhase.SYNC_FAIL,
}


@dataclass(frozen=True)
class HookSpec:
    """What an object's hook annotations say."""

    types: tuple[HookType, ...]
    delete_policies: tuple[HookDeletePolicy, ...]
    from_helm: bool = False

    @property
    def skip(self) -> bool:
        """``Skip`` alone: the object is neither a hook nor synced."""
        return self.types == (HookType.SKIP,)

    @property
    def sync_phases(self) -> tuple[SyncPhase, ...]:
        """The sync phases this hook runs in, in run order."""
        phases = {_SYNC_PHASE_HOOKS[t] for t in self.types if t in _SYNC_PHASE_HOOKS}
        return tuple(sorted(phases, key=PHASE_ORDER.__getitem__))

    def runs_on(self, hook_type: HookType) -> bool:
        return hook_type in self.types

    def has_policy(self, policy: HookDeletePolicy) -> bool:
        return policy in self.delete_policies


def read_hook(obj: Mapping[str, Any]) -> tuple[HookSpec | None, list[Problem]]:
    """The object's hook spec (None for an ordinary object) and what was wrong with it."""
    key = ResourceKey.of(obj)
    problems: list[Problem] = []
    argo_text = annotation(obj, ANNOTATION_HOOK)
    helm_text = annotation(obj, ANNOTATION_HELM_HOOK)
    types: list[HookType] = []
    from_helm = False
    if argo_text is not None:
        types = _argo_types(key, argo_text, problems)
    if not types and helm_text is not None and helm_text != HELM_CRD_INSTALL:
        types = _helm_types(key, helm_text, problems)
        from_helm = True
    if argo_text is None and (helm_text is None or helm_text == HELM_CRD_INSTALL):
        return None, problems
    if not types:
        # Argo CD keeps such an object out of every phase without a word; say so.
        return HookSpec((), (), from_helm), problems
    return HookSpec(tuple(types), _delete_policies(key, obj, problems), from_helm), problems


def _argo_types(key: ResourceKey, text: str, problems: list[Problem]) -> list[HookType]:
    values = csv(text)
    known = {t.value: t for t in HookType}
    types: list[HookType] = []
    for value in values:
        if value in known:
            types.append(known[value])
            continue
        hint = next((name for name in known if name.lower() == value.lower()), None)
        fix = f"did you mean {hint!r}?" if hint else "use one of " + ", ".join(known)
        problems.append(error(key, annotation_field(ANNOTATION_HOOK), f"unknown hook {value!r}; {fix}"))
    if not values:
        problems.append(
            error(
                key,
                annotation_field(ANNOTATION_HOOK),
                "is empty; name the phase(s) to run in (e.g. PreSync) or remove the annotation",
            )
        )
    return [t for t in types if t is not HookType.SKIP] if len(types) > 1 else types


def _helm_types(key: ResourceKey, text: str, problems: list[Problem]) -> list[HookType]:
    types: list[HookType] = []
    ignored: list[str] = []
    for value in csv(text):
        if value in HELM_HOOK_TYPES:
            if HELM_HOOK_TYPES[value] not in types:
                types.append(HELM_HOOK_TYPES[value])
        elif value != HELM_CRD_INSTALL:
            ignored.append(value)
    for value in ignored:
        what = "has no Argo CD equivalent" if value in HELM_UNSUPPORTED else "is not a Helm hook"
        consequence = "" if types else "; the object is not applied at all"
        problems.append(
            warning(
                key,
                annotation_field(ANNOTATION_HELM_HOOK),
                f"{value!r} {what} and is ignored{consequence}. "
                "Set argocd.argoproj.io/hook to choose a phase explicitly",
            )
        )
    return types


def _delete_policies(
    key: ResourceKey, obj: Mapping[str, Any], problems: list[Problem]
) -> tuple[HookDeletePolicy, ...]:
    policies: list[HookDeletePolicy] = []
    known = {p.value: p for p in HookDeletePolicy}
    for value in csv(annotation(obj, ANNOTATION_HOOK_DELETE_POLICY)):
        if value in known:
            policies.append(known[value])
        else:
            problems.append(
                error(
                    key,
                    annotation_field(ANNOTATION_HOOK_DELETE_POLICY),
                    f"unknown delete policy {value!r}; use HookSucceeded, HookFailed or BeforeHookCreation",
                )
            )
    for value in csv(annotation(obj, ANNOTATION_HELM_HOOK_DELETE_POLICY)):
        if value in HELM_DELETE_POLICIES:
            policies.append(HELM_DELETE_POLICIES[value])
        else:
            problems.append(
                warning(
                    key,
                    annotation_field(ANNOTATION_HELM_HOOK_DELETE_POLICY),
                    f"unknown Helm delete policy {value!r} is ignored; "
                    "Helm knows before-hook-creation, hook-succeeded and hook-failed",
                )
            )
    if not policies:
        policies.append(HookDeletePolicy.BEFORE_HOOK_CREATION)
    return tuple(dict.fromkeys(policies))


def generated_hook_name(
    generate_name: str, revision: str, phase: SyncPhase | str, started_at: datetime
) -> str:
    """The name of a ``generateName`` hook for one operation and phase.

    It is Argo CD's formula (``<generateName><revision[:7]>-<phase>-<startedAt unix>``,
    lower-cased), so the name depends only on what ``status.operationState``
    records: a resumed operation derives the same name and finds the hook it
    already created, and a new operation (a new ``startedAt``) gets a new one.
    """
    moment = started_at if started_at.tzinfo else started_at.replace(tzinfo=UTC)
    postfix = f"{revision[:7]}-{phase}-{int(moment.timestamp())}".lower()
    return f"{generate_name}{postfix}"
