"""ApplicationSet generators and the Application template they fill.

Each generator yields parameter sets (``{{.path.basename}}``, ``{{.server}}``);
each set fills the ``template`` into one Application. A generator may carry
its own ``template``, merged over the ApplicationSet's. ``matrix`` and
``merge`` combine two levels of generators; deeper levels are kept as written
(as in Argo CD's schema), and read by ``argosy.appset`` when it runs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from argosy.model.application import ApplicationSpec
from argosy.model.base import View
from argosy.model.meta import LabelSelector
from argosy.model.scm import (
    PullRequestAzureDevOps,
    PullRequestBitbucket,
    PullRequestBitbucketServer,
    PullRequestFilter,
    PullRequestGitea,
    PullRequestGithub,
    PullRequestGitlab,
    ScmAwsCodeCommit,
    ScmAzureDevOps,
    ScmBitbucket,
    ScmBitbucketServer,
    ScmGitea,
    ScmGithub,
    ScmGitlab,
    ScmProviderFilter,
)


@dataclass
class ApplicationSetTemplateMeta(View):
    """The generated Application's name, namespace, labels, annotations and finalizers."""

    name: str = ""
    namespace: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    finalizers: list[str] = field(default_factory=list)


@dataclass
class ApplicationSetTemplate(View):
    """An Application with parameters (``{{.name}}``) in its strings, filled once per parameter set."""

    _required: ClassVar[tuple[str, ...]] = ("metadata", "spec")
    _shape_only: ClassVar[bool] = True

    metadata: ApplicationSetTemplateMeta = field(default_factory=ApplicationSetTemplateMeta)
    spec: ApplicationSpec = field(default_factory=ApplicationSpec)


@dataclass
class ApplicationSetTemplateOverride(ApplicationSetTemplate):
    """A template merged over the ApplicationSet's for this generator's Applications: the fields
    of ``spec.template``. A misspelt field is refused when the Applications are written, as the
    ApplicationSet's error."""

    # Untyped in the CRD: 23 typed copies of the template were half of the group's OpenAPI
    # document, which kubectl parses for every object it applies.
    _untyped_in_crd: ClassVar[bool] = True


@dataclass
class GeneratorCommon(View):
    """What every generator may set besides its own fields."""

    template: ApplicationSetTemplateOverride | None = None
    """A template merged over the ApplicationSet's for this generator's Applications."""
    values: dict[str, str] = field(default_factory=dict)
    """Extra parameters (``{{.values.x}}``), themselves templated."""


@dataclass
class ListGenerator(View):
    """Parameter sets written out in the ApplicationSet."""

    elements: list[Any] = field(default_factory=list)
    """The parameter sets: objects of free-form values."""
    template: ApplicationSetTemplateOverride | None = None
    elements_yaml: str = ""
    """The parameter sets as a YAML list (templated, e.g. from another generator's parameter)."""


@dataclass
class ClusterGenerator(GeneratorCommon):
    """One parameter set per cluster registered in Argosy (``{{.name}}``, ``{{.server}}``)."""

    selector: LabelSelector | None = None
    """Only clusters whose Secret has these labels."""
    flat_list: bool = False
    """One parameter set listing all clusters, instead of one per cluster."""


@dataclass
class GitPathItem(View):
    """A path glob of a git generator; ``exclude`` removes what earlier items matched."""

    _required: ClassVar[tuple[str, ...]] = ("path",)

    path: str = ""
    exclude: bool = False


@dataclass
class GitGenerator(GeneratorCommon):
    """Parameter sets from a Git repository: its directories, or the contents of its JSON/YAML files."""

    _json_keys: ClassVar[dict[str, str]] = {"repo_url": "repoURL"}
    _required: ClassVar[tuple[str, ...]] = ("repo_url", "revision")

    repo_url: str = ""
    """URL of the Git repository."""
    directories: list[GitPathItem] = field(default_factory=list)
    """One parameter set per matching directory (``{{.path.path}}``, ``{{.path.basename}}``)."""
    files: list[GitPathItem] = field(default_factory=list)
    """One parameter set per matching file, from its contents."""
    revision: str = ""
    """Branch, tag or commit to read."""
    requeue_after_seconds: int | None = None
    """How often to look again (default 3 minutes)."""
    path_param_prefix: str = ""
    """Prefix of the path parameters (``{{.prefix.path}}``), to combine two git generators."""


@dataclass
class ClusterDecisionResourceGenerator(GeneratorCommon):
    """Clusters listed in the status of a resource (Open Cluster Management's PlacementDecision)."""

    _required: ClassVar[tuple[str, ...]] = ("config_map_ref",)

    config_map_ref: str = ""
    """ConfigMap naming the resource's kind and status field."""
    name: str = ""
    label_selector: LabelSelector | None = None
    requeue_after_seconds: int | None = None


@dataclass
class PluginConfigMapRef(View):
    _required: ClassVar[tuple[str, ...]] = ("name",)

    name: str = ""
    """ConfigMap with the plugin's URL and token."""


@dataclass
class PluginInput(View):
    parameters: dict[str, Any] = field(default_factory=dict)
    """Free-form parameters sent to the plugin."""


@dataclass
class PluginGenerator(GeneratorCommon):
    """Parameter sets returned by an HTTP service (a generator plugin)."""

    _required: ClassVar[tuple[str, ...]] = ("config_map_ref",)

    config_map_ref: PluginConfigMapRef = field(default_factory=PluginConfigMapRef)
    input: PluginInput | None = None
    requeue_after_seconds: int | None = None


@dataclass
class ScmProviderGenerator(GeneratorCommon):
    """One parameter set per repository (or branch) of an organization on a Git host."""

    github: ScmGithub | None = None
    gitlab: ScmGitlab | None = None
    bitbucket: ScmBitbucket | None = None
    bitbucket_server: ScmBitbucketServer | None = None
    gitea: ScmGitea | None = None
    azure_dev_ops: ScmAzureDevOps | None = None
    aws_code_commit: ScmAwsCodeCommit | None = None
    filters: list[ScmProviderFilter] = field(default_factory=list)
    clone_protocol: str = ""
    """``ssh`` or ``https``: which clone URL ``{{.url}}`` is."""
    requeue_after_seconds: int | None = None


@dataclass
class PullRequestGenerator(GeneratorCommon):
    """One parameter set per open pull request of a repository."""

    github: PullRequestGithub | None = None
    gitlab: PullRequestGitlab | None = None
    gitea: PullRequestGitea | None = None
    bitbucket_server: PullRequestBitbucketServer | None = None
    bitbucket: PullRequestBitbucket | None = None
    azuredevops: PullRequestAzureDevOps | None = None
    filters: list[PullRequestFilter] = field(default_factory=list)
    requeue_after_seconds: int | None = None
    continue_on_repo_not_found_error: bool = False
    """Yield nothing, rather than fail, when the repository does not exist."""


@dataclass
class NestedGenerator(View):
    """A generator inside ``matrix`` or ``merge``; deeper ``matrix``/``merge`` are kept as written."""

    _json_keys: ClassVar[dict[str, str]] = {"list_": "list"}

    list_: ListGenerator | None = None
    clusters: ClusterGenerator | None = None
    git: GitGenerator | None = None
    scm_provider: ScmProviderGenerator | None = None
    cluster_decision_resource: ClusterDecisionResourceGenerator | None = None
    pull_request: PullRequestGenerator | None = None
    plugin: PluginGenerator | None = None
    matrix: Any = None
    merge: Any = None
    selector: LabelSelector | None = None
    """Keep only parameter sets whose values match."""


@dataclass
class MatrixGenerator(View):
    """Every combination of the parameter sets of two generators."""

    _required: ClassVar[tuple[str, ...]] = ("generators",)

    generators: list[NestedGenerator] = field(default_factory=list)
    template: ApplicationSetTemplateOverride | None = None


@dataclass
class MergeGenerator(View):
    """The parameter sets of the first generator, overridden by others' with the same ``mergeKeys``."""

    _required: ClassVar[tuple[str, ...]] = ("generators", "merge_keys")

    generators: list[NestedGenerator] = field(default_factory=list)
    merge_keys: list[str] = field(default_factory=list)
    template: ApplicationSetTemplateOverride | None = None


@dataclass
class Generator(View):
    """One generator: exactly one of its fields (``list``, ``git``, ``matrix``...) is set."""

    _json_keys: ClassVar[dict[str, str]] = {"list_": "list"}

    list_: ListGenerator | None = None
    """Parameter sets written out."""
    clusters: ClusterGenerator | None = None
    """One parameter set per registered cluster."""
    git: GitGenerator | None = None
    """Directories or files of a Git repository."""
    scm_provider: ScmProviderGenerator | None = None
    """Repositories of an organization on a Git host."""
    cluster_decision_resource: ClusterDecisionResourceGenerator | None = None
    """Clusters chosen by a placement resource."""
    pull_request: PullRequestGenerator | None = None
    """Open pull requests of a repository."""
    matrix: MatrixGenerator | None = None
    """Combinations of two generators."""
    merge: MergeGenerator | None = None
    """Two generators merged on keys."""
    selector: LabelSelector | None = None
    """Keep only parameter sets whose values match."""
    plugin: PluginGenerator | None = None
    """Parameter sets from an HTTP service."""

    @property
    def is_empty(self) -> bool:
        """Names no generator at all (``- {}``)."""
        return not self.to_dict()
