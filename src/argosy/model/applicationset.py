"""The ApplicationSet resource: a template stamped into many Applications by generators.

Generators (list, clusters, git, matrix, merge, scm provider, pull request,
cluster decision resource, plugin) and the Application ``template`` are kept
as plain dicts here: their meaning belongs to ``argosy.appset``, and a
template is only a valid Application after parameters are substituted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from argosy.model.base import View
from argosy.model.constants import API_VERSION, KIND_APPLICATION_SET
from argosy.model.meta import ObjectMeta, check_kind


class ApplicationsSyncPolicy(StrEnum):
    """``syncPolicy.applicationsSync``: what the set may do to the Applications it owns."""

    CREATE_ONLY = "create-only"
    CREATE_UPDATE = "create-update"
    CREATE_DELETE = "create-delete"
    SYNC = "sync"


STRATEGY_TYPES = ("AllAtOnce", "RollingSync")


@dataclass
class ApplicationSetSyncPolicy(View):
    preserve_resources_on_deletion: bool = False
    applications_sync: str = ""

    def _check(self, path: str, errors: list[str]) -> None:
        allowed = [p.value for p in ApplicationsSyncPolicy]
        if self.applications_sync and self.applications_sync not in allowed:
            errors.append(f"{path}.applicationsSync: must be one of {', '.join(allowed)}")


@dataclass
class ApplicationSetStrategy(View):
    """Progressive sync: ``RollingSync`` steps select apps by labels and sync them in order."""

    type: str = ""
    rolling_sync: dict[str, Any] | None = None

    def _check(self, path: str, errors: list[str]) -> None:
        if self.type and self.type not in STRATEGY_TYPES:
            errors.append(f"{path}.type: must be one of {', '.join(STRATEGY_TYPES)}")
        if self.type == "RollingSync" and self.rolling_sync is None:
            errors.append(f"{path}.rollingSync is required when type is RollingSync")


@dataclass
class ApplicationSetSpec(View):
    _required: ClassVar[tuple[str, ...]] = ("generators", "template")

    generators: list[dict[str, Any]] = field(default_factory=list)
    template: dict[str, Any] = field(default_factory=dict)
    template_patch: str | None = None
    go_template: bool = False
    go_template_options: list[str] = field(default_factory=list)
    sync_policy: ApplicationSetSyncPolicy | None = None
    strategy: ApplicationSetStrategy | None = None
    preserved_fields: dict[str, Any] | None = None
    ignore_application_differences: list[dict[str, Any]] = field(default_factory=list)
    apply_nested_selectors: bool = False

    def _check(self, path: str, errors: list[str]) -> None:
        for i, gen in enumerate(self.generators):
            if not gen:
                errors.append(f"{path}.generators[{i}]: names no generator")


@dataclass
class ApplicationSetCondition(View):
    """Conditions use Kubernetes' shape here (``status``/``reason``), unlike Application's."""

    type: str = ""
    message: str = ""
    status: str = ""
    reason: str = ""
    last_transition_time: str | None = None


@dataclass
class ApplicationSetStatus(View):
    conditions: list[ApplicationSetCondition] = field(default_factory=list)
    application_status: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    resources_count: int = 0


@dataclass
class ApplicationSet(View):
    """An ``argoproj.io/v1alpha1`` ApplicationSet."""

    _required: ClassVar[tuple[str, ...]] = ("spec",)
    _always: ClassVar[tuple[str, ...]] = ("api_version", "kind")

    api_version: str = API_VERSION
    kind: str = KIND_APPLICATION_SET
    metadata: ObjectMeta = field(default_factory=ObjectMeta)
    spec: ApplicationSetSpec = field(default_factory=ApplicationSetSpec)
    status: ApplicationSetStatus = field(default_factory=ApplicationSetStatus)

    @property
    def name(self) -> str:
        return self.metadata.name

    def _check(self, path: str, errors: list[str]) -> None:
        check_kind(self.api_version, self.kind, KIND_APPLICATION_SET, errors)
