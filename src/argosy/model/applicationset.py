"""The ApplicationSet resource: a template stamped into many Applications by generators.

Generators (list, clusters, git, matrix, merge, scm provider, pull request,
cluster decision resource, plugin; see ``argosy.model.generators``) and the
Application ``template`` are typed like Argo CD's, so a typo is refused; but a
template is only a meaningful Application after parameters are substituted,
so only its shape is checked here (``_shape_only``). A generator's own
``template`` is decoded the same way but untyped in the CRD (see
``ApplicationSetTemplateOverride``): the API server refuses its typos when the
Applications are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar

from argosy.model.base import View
from argosy.model.constants import API_VERSION, KIND_APPLICATION_SET
from argosy.model.generators import ApplicationSetTemplate, Generator
from argosy.model.meta import ObjectMeta, check_kind
from argosy.model.status import HealthStatus, ResourceStatus


class ApplicationsSyncPolicy(StrEnum):
    """``syncPolicy.applicationsSync``: what the set may do to the Applications it owns."""

    CREATE_ONLY = "create-only"
    CREATE_UPDATE = "create-update"
    CREATE_DELETE = "create-delete"
    SYNC = "sync"


STRATEGY_TYPES = ("AllAtOnce", "RollingSync")


@dataclass
class ApplicationSetSyncPolicy(View):
    """What the ApplicationSet may do to the Applications it generated."""

    preserve_resources_on_deletion: bool = False
    """Deleting the ApplicationSet keeps the Applications' resources in the clusters."""
    applications_sync: str = ""
    """``create-only``, ``create-update``, ``create-delete`` or ``sync`` (the default: all)."""

    def _check(self, path: str, errors: list[str]) -> None:
        allowed = [p.value for p in ApplicationsSyncPolicy]
        if self.applications_sync and self.applications_sync not in allowed:
            errors.append(f"{path}.applicationsSync: must be one of {', '.join(allowed)}")


@dataclass
class ApplicationMatchExpression(View):
    """A label condition on the generated Applications (``key`` ``In``/``NotIn`` ``values``)."""

    key: str = ""
    operator: str = ""
    values: list[str] = field(default_factory=list)


@dataclass
class RollingSyncStep(View):
    """The Applications synced together in one step of a rolling sync."""

    match_expressions: list[ApplicationMatchExpression] = field(default_factory=list)
    max_update: int | str | None = None
    """At most this many (or this percentage) of the step's Applications sync at once."""


@dataclass
class RollingSyncStrategy(View):
    steps: list[RollingSyncStep] = field(default_factory=list)


@dataclass
class ApplicationSetStrategy(View):
    """Progressive sync: ``RollingSync`` steps select apps by labels and sync them in order."""

    type: str = ""
    """``AllAtOnce`` (the default) or ``RollingSync``."""
    rolling_sync: RollingSyncStrategy | None = None
    deletion_order: str = ""
    """``AllAtOnce`` or ``Reverse`` (the steps' reverse order) when Applications are deleted."""

    def _check(self, path: str, errors: list[str]) -> None:
        if self.type and self.type not in STRATEGY_TYPES:
            errors.append(f"{path}.type: must be one of {', '.join(STRATEGY_TYPES)}")
        if self.type == "RollingSync" and self.rolling_sync is None:
            errors.append(f"{path}.rollingSync is required when type is RollingSync")


@dataclass
class PreservedFields(View):
    """Annotations and labels of the generated Applications that others may change."""

    annotations: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


@dataclass
class ApplicationSetIgnoreDifferences(View):
    """Fields of generated Applications the ApplicationSet does not overwrite."""

    name: str = ""
    """Only the Application of this name."""
    json_pointers: list[str] = field(default_factory=list)
    jq_path_expressions: list[str] = field(default_factory=list)


@dataclass
class ApplicationSetSpec(View):
    """Generators, and the template they fill into Applications."""

    _required: ClassVar[tuple[str, ...]] = ("generators", "template")

    generators: list[Generator] = field(default_factory=list)
    """The generators; each one's parameter sets make Applications."""
    template: ApplicationSetTemplate = field(default_factory=ApplicationSetTemplate)
    """The Application each parameter set fills in."""
    template_patch: str | None = None
    """A templated patch applied to each generated Application, for fields a template cannot type."""
    go_template: bool = False
    """Parameters are Go templates (``{{.path.basename}}``) rather than ``{{path.basename}}``."""
    go_template_options: list[str] = field(default_factory=list)
    """Go template options (``missingkey=error``)."""
    sync_policy: ApplicationSetSyncPolicy | None = None
    strategy: ApplicationSetStrategy | None = None
    preserved_fields: PreservedFields | None = None
    ignore_application_differences: list[ApplicationSetIgnoreDifferences] = field(default_factory=list)
    apply_nested_selectors: bool = False
    """Apply the ``selector`` of generators nested in matrix and merge."""

    def _check(self, path: str, errors: list[str]) -> None:
        for i, gen in enumerate(self.generators):
            if gen.is_empty:
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
class ApplicationSetApplicationStatus(View):
    """Progress of one generated Application through a rolling sync."""

    application: str = ""
    last_transition_time: str | None = None
    message: str = ""
    status: str = ""
    step: str = ""
    target_revisions: list[str] = field(default_factory=list)


@dataclass
class ApplicationSetStatus(View):
    """``status`` of an ApplicationSet, written by its controller."""

    _preserve_unknown: ClassVar[bool] = True

    conditions: list[ApplicationSetCondition] = field(default_factory=list)
    application_status: list[ApplicationSetApplicationStatus] = field(default_factory=list)
    resources: list[ResourceStatus] = field(default_factory=list)
    """The generated Applications, with their sync and health."""
    resources_count: int = 0
    health: HealthStatus | None = None


@dataclass
class ApplicationSet(View):
    """A set of Applications generated from one template, e.g. one per cluster or per directory."""

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
