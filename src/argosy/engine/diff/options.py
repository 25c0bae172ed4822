"""Compare settings: ``resource.compareoptions`` in argocd-cm and the per-object
``argocd.argoproj.io/compare-options`` annotation.

``ignoreResourceStatusField`` decides whose ``/status`` never counts as drift:
``all`` (Argo CD 3.x's default, and ours: status is written by controllers, not
Git), ``crd`` (Argo CD 2.x's default: CustomResourceDefinitions only, plus their
``/spec/preserveUnknownFields``), ``none``/``off``/``false`` (compare status).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from argosy.engine.diff.ignore import IgnoreRule
from argosy.engine.diff.objects import COMPARE_OPTIONS_ANNOTATION, annotations_of

COMPARE_OPTIONS_KEY = "resource.compareoptions"
DEFAULT_IGNORE_STATUS = "all"
_STATUS_VALUES = {"crd", "all", "none", "off", "false"}


class CompareOptionsError(ValueError):
    """``resource.compareoptions`` could not be read; the message says what to fix."""


@dataclass(frozen=True)
class CompareSettings:
    """The system-wide compare options of argocd-cm."""

    ignore_aggregated_roles: bool = False
    ignore_resource_status_field: str = DEFAULT_IGNORE_STATUS

    @classmethod
    def from_argocd_cm(cls, data: dict[str, str]) -> CompareSettings:
        raw = data.get(COMPARE_OPTIONS_KEY)
        if not raw:
            return cls()
        try:
            parsed = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise CompareOptionsError(f"argocd-cm key {COMPARE_OPTIONS_KEY!r}: invalid YAML: {exc}") from exc
        if parsed is None:
            return cls()
        if not isinstance(parsed, dict):
            raise CompareOptionsError(
                f"argocd-cm key {COMPARE_OPTIONS_KEY!r}: expected a mapping such as "
                "'ignoreAggregatedRoles: true' and 'ignoreResourceStatusField: crd'"
            )
        status = parsed.get("ignoreResourceStatusField")
        status_text = DEFAULT_IGNORE_STATUS if status in (None, "") else str(status).strip().lower()
        if status is False:
            status_text = "off"
        if status_text not in _STATUS_VALUES:
            raise CompareOptionsError(
                f"argocd-cm key {COMPARE_OPTIONS_KEY!r}: ignoreResourceStatusField is {status!r}; "
                "use one of all, crd, none, off"
            )
        return cls(
            ignore_aggregated_roles=str(parsed.get("ignoreAggregatedRoles", False)).lower() == "true",
            ignore_resource_status_field=status_text,
        )

    def status_rules(self) -> list[IgnoreRule]:
        """The ignore rules ``ignoreResourceStatusField`` implies."""
        where = (
            f"argocd-cm {COMPARE_OPTIONS_KEY} ignoreResourceStatusField={self.ignore_resource_status_field}"
        )
        if self.ignore_resource_status_field == "all":
            return [IgnoreRule(group="*", kind="*", json_pointers=("/status",), source=where)]
        if self.ignore_resource_status_field == "crd":
            return [
                IgnoreRule(
                    group="apiextensions.k8s.io",
                    kind="CustomResourceDefinition",
                    json_pointers=("/status", "/spec/preserveUnknownFields"),
                    source=where,
                )
            ]
        return []


@dataclass(frozen=True)
class ObjectCompareOptions:
    """What an object's ``argocd.argoproj.io/compare-options`` annotation asks for.

    ``server_side_diff`` is None when the annotation does not say (the
    Application's or the system's choice applies).
    """

    ignore_extraneous: bool = False
    server_side_diff: bool | None = None
    include_mutation_webhook: bool = False


def object_compare_options(obj: dict[str, Any] | None) -> ObjectCompareOptions:
    """Parse the compare-options annotation (comma-separated, case-sensitive as in Argo CD)."""
    raw = annotations_of(obj).get(COMPARE_OPTIONS_ANNOTATION) if obj else None
    if not isinstance(raw, str):
        return ObjectCompareOptions()
    opts = {o.strip() for o in raw.split(",") if o.strip()}
    ssd: bool | None = None
    if "ServerSideDiff=true" in opts:
        ssd = True
    elif "ServerSideDiff=false" in opts:
        ssd = False
    return ObjectCompareOptions(
        ignore_extraneous="IgnoreExtraneous" in opts,
        server_side_diff=ssd,
        include_mutation_webhook="IncludeMutationWebhook=true" in opts,
    )


def ignores_extraneous(live: dict[str, Any] | None) -> bool:
    """Whether an extraneous object (live, not in Git) leaves the app's sync status alone."""
    return object_compare_options(live).ignore_extraneous


def use_server_side_diff(
    desired: dict[str, Any] | None, live: dict[str, Any] | None, app_default: bool = True
) -> bool:
    """Whether to diff this object server-side: the object's annotation (desired
    first, then live) overrides the Application's/system's choice."""
    for obj in (desired, live):
        choice = object_compare_options(obj).server_side_diff
        if choice is not None:
            return choice
    return app_default
