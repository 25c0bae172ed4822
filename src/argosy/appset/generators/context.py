"""What generators read from outside the ApplicationSet, as small typed interfaces.

Generators are pure: the clusters, Git contents and projects they need are
handed in through :class:`GenerateContext`, so the controller feeds them from
its watches and the repo service, and ``argosy appset generate --offline``
and the tests feed them from files.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from argosy.appset.scm.model import ScmSource
from argosy.appset.template import Renderer


class GeneratorError(ValueError):
    """A generator that cannot produce parameters; the message names the generator and the cause."""


class GitReader(Protocol):
    """A Git repository at one revision, as the git generator needs it."""

    def directories(self, repo_url: str, revision: str) -> list[str]:
        """Every directory of the checkout (relative, ``/``-separated), in listing order."""
        ...

    def files(self, repo_url: str, revision: str) -> list[str]:
        """Every file path of the checkout (relative, ``/``-separated)."""
        ...

    def read(self, repo_url: str, revision: str, path: str) -> bytes:
        """The content of one file listed by :meth:`files`."""
        ...


class PluginSource(Protocol):
    """Calls generator plugins (HTTP services named by ConfigMaps)."""

    def call(
        self, configmap: str, parameters: Mapping[str, Any], appset_name: str
    ) -> list[dict[str, Any]]: ...


@dataclass
class GenerateContext:
    """Everything a generator may read; the defaults suit a set with only list generators."""

    renderer: Renderer = field(default_factory=Renderer)
    cluster_secrets: Sequence[Mapping[str, Any]] = ()
    """Argo CD cluster Secrets (as the API returns them)."""
    in_cluster_enabled: bool = True
    git: GitReader | None = None
    new_git_file_globbing: bool = False
    """``applicationsetcontroller.enable.new.git.file.globbing``: doublestar, ``*`` stays in a directory."""
    template_project: str = ""
    """The ApplicationSet's ``template.spec.project`` (the git generator checks it exists)."""
    app_projects: Sequence[str] | None = None
    """Names of the existing AppProjects (None: not checked)."""
    apply_nested_selectors: bool = True
    plugins: PluginSource | None = None
    appset_name: str = ""
    scm: ScmSource | None = None
    """Clients of Git hosting services (pull requests, repositories of an organisation)."""
    scm_providers_enabled: bool = True
    allowed_scm_providers: Sequence[str] = ()
    """Provider API URLs ApplicationSets may name (empty: any)."""
