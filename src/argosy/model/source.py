"""Where an application's manifests come from: ``spec.source`` / ``spec.sources[]``.

A source is a Git or Helm repository (``repoURL``) at a revision
(``targetRevision``), with a ``path`` in Git or a ``chart`` in a Helm repo,
and at most one of the tool blocks ``helm``, ``kustomize``, ``directory`` or
``plugin``. In multi-source apps a source may carry ``ref`` so others can use
its files (``$values/envs/prod.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from argosy.model.base import View


@dataclass
class HelmParameter(View):
    """``--set name=value`` (``--set-string`` when ``forceString``)."""

    name: str = ""
    value: str = ""
    force_string: bool = False


@dataclass
class HelmFileParameter(View):
    """``--set-file name=path``."""

    name: str = ""
    path: str = ""


@dataclass
class HelmSource(View):
    """Options for ``helm template``."""

    value_files: list[str] = field(default_factory=list)
    values: str = ""
    """Inline values as a YAML string (older form)."""
    values_object: dict[str, Any] | None = None
    """Inline values as an object; wins over ``values``."""
    parameters: list[HelmParameter] = field(default_factory=list)
    file_parameters: list[HelmFileParameter] = field(default_factory=list)
    release_name: str = ""
    version: str = ""
    pass_credentials: bool = False
    ignore_missing_value_files: bool = False
    skip_crds: bool = False
    skip_schema_validation: bool = False
    skip_tests: bool = False
    namespace: str = ""
    kube_version: str = ""
    api_versions: list[str] = field(default_factory=list)


@dataclass
class KustomizeSource(View):
    """Options for ``kustomize build``; patches and replicas stay as written."""

    name_prefix: str = ""
    name_suffix: str = ""
    images: list[str] = field(default_factory=list)
    common_labels: dict[str, str] = field(default_factory=dict)
    common_annotations: dict[str, str] = field(default_factory=dict)
    common_annotations_envsubst: bool = False
    force_common_labels: bool = False
    force_common_annotations: bool = False
    label_without_selector: bool = False
    namespace: str = ""
    version: str = ""
    replicas: list[dict[str, Any]] = field(default_factory=list)
    patches: list[dict[str, Any]] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    kube_version: str = ""
    api_versions: list[str] = field(default_factory=list)


@dataclass
class DirectorySource(View):
    """Plain YAML/JSON (and Jsonnet) files in a directory."""

    recurse: bool = False
    include: str = ""
    exclude: str = ""
    jsonnet: dict[str, Any] = field(default_factory=dict)


@dataclass
class EnvEntry(View):
    name: str = ""
    value: str = ""


@dataclass
class PluginSource(View):
    """A config management plugin (sidecar), e.g. SOPS or helmfile."""

    name: str = ""
    env: list[EnvEntry] = field(default_factory=list)
    parameters: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ApplicationSource(View):
    """One source of manifests."""

    _json_keys: ClassVar[dict[str, str]] = {"repo_url": "repoURL"}
    _required: ClassVar[tuple[str, ...]] = ("repo_url",)

    repo_url: str = ""
    path: str = ""
    target_revision: str = ""
    chart: str = ""
    ref: str = ""
    name: str = ""
    helm: HelmSource | None = None
    kustomize: KustomizeSource | None = None
    directory: DirectorySource | None = None
    plugin: PluginSource | None = None

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
