"""Renderers turn a checked-out source into objects: Directory, Kustomize, Helm.

The tool is auto-detected as Argo CD does - ``kustomization.yaml`` (``.yml``,
``Kustomization``) means Kustomize, ``Chart.yaml`` means Helm, anything else is
a plain directory of YAML/JSON - unless the source names one (``helm:``,
``kustomize:``, ``directory:``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from argosy.repo.result import RenderedObject
from argosy.repo.source import RenderSource
from argosy.repo.urlpolicy import UrlPolicy

if TYPE_CHECKING:
    from argosy.repo.sops.decrypt import Decryptor

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class RenderContext:
    """The destination and settings a render depends on (all part of the cache key)."""

    app_name: str
    namespace: str = ""
    kube_version: str = ""
    api_versions: tuple[str, ...] = ()
    kustomize_build_options: str = ""
    allow_remote_value_files: bool = False


@dataclass
class RenderInput:
    root: Path
    app_dir: Path
    source: RenderSource
    source_index: int
    ctx: RenderContext
    refs: dict[str, Path] = field(default_factory=dict)
    work_dir: Path | None = None
    sops: Decryptor | None = None  # SOPS decryption with the request's keys (repo/sops)
    # Checks URLs the tools fetch themselves (remote value files, chart dependency repositories).
    url_policy: UrlPolicy = field(default_factory=UrlPolicy.from_env)
    # Limit of each helm/kustomize process (None: execute.DEFAULT_TIMEOUT); the repo server's
    # --exec-timeout, so a template or generator that never ends is killed when the admin said.
    exec_timeout: float | None = None


@dataclass
class Rendered:
    objects: list[RenderedObject] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tool: str = ""


def detect_tool(source: RenderSource, app_dir: Path) -> str:
    if source.helm is not None or source.is_helm_repo:
        return "Helm"
    if source.kustomize is not None:
        return "Kustomize"
    if source.directory is not None:
        return "Directory"
    if any((app_dir / name).is_file() for name in KUSTOMIZATION_FILES):
        return "Kustomize"
    if (app_dir / "Chart.yaml").is_file():
        return "Helm"
    return "Directory"
