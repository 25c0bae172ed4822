"""Where an application's manifests come from: ``spec.source`` / ``spec.sources[]``.

A source is a Git or Helm repository (``repoURL``) at a revision
(``targetRevision``), with a ``path`` in Git or a ``chart`` in a Helm repo,
and at most one of the tool blocks ``helm``, ``kustomize``, ``directory`` or
``plugin``. In multi-source apps a source may carry ``ref`` so others can use
its files (``$values/envs/prod.yaml``).

This is the only reading of a source: the repo server builds what its
renderers need from this view (``argosy.repo.source``), and the CRD schema is
generated from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from argosy.model.base import View


@dataclass
class HelmParameter(View):
    """A Helm parameter, passed as ``--set name=value`` (``--set-string`` when ``forceString``)."""

    name: str = ""
    """Name of the value, in Helm's dotted notation (``image.tag``)."""
    value: str = ""
    """The value; ``$ARGOCD_APP_NAME`` style variables are substituted."""
    force_string: bool = False
    """Pass the value as a string even if it looks like a number or boolean."""


@dataclass
class HelmFileParameter(View):
    """A value read from a file of the repository, passed as ``--set-file name=path``."""

    name: str = ""
    """Name of the value, in Helm's dotted notation."""
    path: str = ""
    """Path of the file, relative to the chart."""


@dataclass
class HelmSource(View):
    """Options for ``helm template``."""

    value_files: list[str] = field(default_factory=list)
    """Values files, relative to the chart, or ``$ref/path`` into another source of the app."""
    parameters: list[HelmParameter] = field(default_factory=list)
    """Values set one by one, applied after the values files."""
    release_name: str = ""
    """Release name passed to the chart; defaults to the Application's name."""
    values: str = ""
    """Inline values as YAML text; write an object under ``valuesObject`` instead."""
    file_parameters: list[HelmFileParameter] = field(default_factory=list)
    """Values read from files of the repository."""
    version: str = ""
    """Helm major version to template with (only v3 is supported)."""
    pass_credentials: bool = False
    """Send the repository's credentials to every host the chart's dependencies are fetched from."""
    ignore_missing_value_files: bool = False
    """Skip values files that do not exist instead of failing."""
    skip_crds: bool = False
    """Leave out the chart's ``crds/`` directory."""
    values_object: dict[str, Any] | None = None
    """Inline values as an object; takes precedence over ``values``."""
    namespace: str = ""
    """Namespace passed to the chart; defaults to the destination namespace."""
    kube_version: str = ""
    """Kubernetes version the chart sees (``.Capabilities.KubeVersion``); defaults to the destination's."""
    api_versions: list[str] = field(default_factory=list)
    """API versions the chart sees (``.Capabilities.APIVersions``); defaults to the destination's."""
    skip_tests: bool = False
    """Leave out the chart's test hooks."""
    skip_schema_validation: bool = False
    """Do not validate values against the chart's ``values.schema.json``."""


@dataclass
class KustomizeReplica(View):
    """A replica count override, as ``kustomize edit set replicas``."""

    _required: ClassVar[tuple[str, ...]] = ("name", "count")

    name: str = ""
    """Name of the Deployment or StatefulSet."""
    count: int | str = 0
    """Number of replicas (a number, or a string holding one)."""

    def int_count(self) -> int:
        """``count`` as a number; raises ValueError for a string that is not one."""
        return self.count if isinstance(self.count, int) else int(self.count)

    def _check(self, path: str, errors: list[str]) -> None:
        try:
            self.int_count()
        except ValueError:
            errors.append(f"{path}.count: expected a number, got {self.count!r}")


@dataclass
class KustomizeSelector(View):
    """Which resources a patch applies to; empty fields match everything."""

    group: str = ""
    version: str = ""
    kind: str = ""
    name: str = ""
    namespace: str = ""
    label_selector: str = ""
    """Label selector, as ``kubectl get -l`` takes it."""
    annotation_selector: str = ""
    """Annotation selector, in the same syntax as label selectors."""


@dataclass
class KustomizePatch(View):
    """A patch added to the kustomization (strategic merge or JSON 6902), inline or from a file."""

    path: str = ""
    """Patch file, relative to the kustomization."""
    patch: str = ""
    """The patch itself, as YAML or JSON text."""
    target: KustomizeSelector | None = None
    """Resources to patch; without it the patch names its target itself."""
    options: dict[str, bool] = field(default_factory=dict)
    """Kustomize patch options (``allowNameChange``, ``allowKindChange``)."""


@dataclass
class KustomizeSource(View):
    """Options for ``kustomize build``, applied as ``kustomize edit`` would before the build."""

    name_prefix: str = ""
    """Prefix added to the name of every resource."""
    name_suffix: str = ""
    """Suffix added to the name of every resource."""
    images: list[str] = field(default_factory=list)
    """Image overrides: ``name=newName:newTag@digest``, or ``name:tag``."""
    common_labels: dict[str, str] = field(default_factory=dict)
    """Labels added to every resource (and its selectors unless ``labelWithoutSelector``)."""
    version: str = ""
    """Kustomize version to build with, as configured in ``argocd-cm``."""
    common_annotations: dict[str, str] = field(default_factory=dict)
    """Annotations added to every resource."""
    force_common_labels: bool = False
    """Override labels the kustomization already sets."""
    force_common_annotations: bool = False
    """Override annotations the kustomization already sets."""
    namespace: str = ""
    """Namespace set on every namespaced resource."""
    common_annotations_envsubst: bool = False
    """Substitute ``$ARGOCD_APP_NAME`` style variables in ``commonAnnotations`` values."""
    replicas: list[KustomizeReplica] = field(default_factory=list)
    """Replica count overrides."""
    patches: list[KustomizePatch] = field(default_factory=list)
    """Patches added to the kustomization."""
    components: list[str] = field(default_factory=list)
    """Kustomize components added to the kustomization."""
    label_without_selector: bool = False
    """Add ``commonLabels`` to resources only, not to selectors and templates."""
    kube_version: str = ""
    """Kubernetes version passed to Helm charts the kustomization inflates."""
    api_versions: list[str] = field(default_factory=list)
    """API versions passed to Helm charts the kustomization inflates."""
    ignore_missing_components: bool = False
    """Skip components that do not exist instead of failing."""
    label_include_templates: bool = False
    """With ``labelWithoutSelector``, still add the labels to pod templates."""


@dataclass
class JsonnetVar(View):
    """A Jsonnet external variable or top-level argument."""

    _required: ClassVar[tuple[str, ...]] = ("name",)

    name: str = ""
    value: str = ""
    code: bool = False
    """The value is Jsonnet code rather than a string."""


@dataclass
class JsonnetSource(View):
    """Options for evaluating ``.jsonnet`` files."""

    ext_vars: list[JsonnetVar] = field(default_factory=list)
    """External variables (``--ext-str`` / ``--ext-code``)."""
    tlas: list[JsonnetVar] = field(default_factory=list)
    """Top-level arguments (``--tla-str`` / ``--tla-code``)."""
    libs: list[str] = field(default_factory=list)
    """Library search paths (``-J``)."""


@dataclass
class DirectorySource(View):
    """Plain YAML, JSON (and Jsonnet) files in a directory."""

    recurse: bool = False
    """Read subdirectories too."""
    jsonnet: JsonnetSource | None = None
    """Jsonnet options."""
    exclude: str = ""
    """Glob of files to leave out (``{a.yaml,b/*}`` for several)."""
    include: str = ""
    """Glob of the files to read; others are left out."""
    disable_extension_filter: bool = False
    """Read every file, not only ``.yaml``, ``.yml``, ``.json`` and ``.jsonnet``."""


@dataclass
class EnvEntry(View):
    """An environment variable for a config management plugin."""

    _required: ClassVar[tuple[str, ...]] = ("name",)

    name: str = ""
    value: str = ""


@dataclass
class PluginParameter(View):
    """A parameter for a config management plugin: a string, a map or an array."""

    name: str = ""
    string: str = ""
    """A string value."""
    map: dict[str, str] = field(default_factory=dict)
    """A map value."""
    array: list[str] = field(default_factory=list)
    """An array value."""


@dataclass
class PluginSource(View):
    """A config management plugin (sidecar), e.g. SOPS or helmfile."""

    name: str = ""
    """Plugin name; empty means the plugin that discovers the source."""
    env: list[EnvEntry] = field(default_factory=list)
    """Environment variables for the plugin (``ARGOCD_ENV_`` prefixed when it runs)."""
    parameters: list[PluginParameter] = field(default_factory=list)
    """Parameters announced by the plugin."""


@dataclass
class ApplicationSource(View):
    """One source of manifests: a Git or Helm repository, a revision, and how to render it."""

    _json_keys: ClassVar[dict[str, str]] = {"repo_url": "repoURL"}
    _required: ClassVar[tuple[str, ...]] = ("repo_url",)

    repo_url: str = ""
    """URL of the Git repository, Helm repository or OCI registry."""
    path: str = ""
    """Directory in the Git repository; only for Git sources."""
    target_revision: str = ""
    """Branch, tag or commit (Git), or chart version or semver range (Helm); defaults to HEAD."""
    helm: HelmSource | None = None
    """Helm options."""
    kustomize: KustomizeSource | None = None
    """Kustomize options."""
    directory: DirectorySource | None = None
    """Plain directory options."""
    plugin: PluginSource | None = None
    """Config management plugin options."""
    chart: str = ""
    """Chart name in a Helm repository; required for Helm repository sources."""
    ref: str = ""
    """Name other sources use to read this source's files (``$ref/path``); only in ``sources``."""
    name: str = ""
    """Name of the source, shown to users of multi-source apps."""
    tag_prefix: str = ""
    """Only tags starting with this prefix count when ``targetRevision`` is a semver range."""

    @property
    def revision(self) -> str:
        """``targetRevision``, with Argo CD's default ``HEAD`` when unset."""
        return self.target_revision or "HEAD"

    @property
    def is_helm_repo(self) -> bool:
        """A chart from a Helm (or OCI) repository rather than a path in Git."""
        return bool(self.chart)

    def _check(self, path: str, errors: list[str]) -> None:
        tools = [t for t in ("helm", "kustomize", "directory", "plugin") if getattr(self, t) is not None]
        if len(tools) > 1:
            errors.append(
                f"{path}: set at most one of helm, kustomize, directory, plugin (got {', '.join(tools)})"
            )
        if self.chart and self.path:
            errors.append(f"{path}: set chart (Helm repository) or path (Git), not both")
