"""The repo service's request: an Application's sources plus everything they render against.

The caller (controller, API server, CLI) reads the cluster - repository
Secrets, ``argocd-cm``, the destination's version and API groups - and puts
it here; the repo server itself never talks to Kubernetes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from argosy.repo import imageoverrides
from argosy.repo.errors import InvalidSourceError
from argosy.repo.renderers import RenderContext
from argosy.repo.sops.keys import KeyMaterial
from argosy.repo.source import RenderSource, parse_source
from argosy.settings.repositories import RepositoryStore

GENERATE_PATHS_ANNOTATION = "argocd.argoproj.io/manifest-generate-paths"


@dataclass
class RenderRequest:
    app_name: str
    sources: list[dict[str, Any]]
    namespace: str = ""
    app_namespace: str = ""
    project: str = "default"
    kube_version: str = ""
    api_versions: list[str] = field(default_factory=list)
    repositories: RepositoryStore = field(default_factory=RepositoryStore)
    kustomize_build_options: str = ""
    allow_remote_value_files: bool = False
    manifest_generate_paths: str | None = None
    previous_revisions: list[str] = field(default_factory=list)
    no_cache: bool = False
    # How old a cached ls-remote answer may be (seconds; 0: ask the remote). The controller
    # passes its reconciliation period for periodic refreshes; refreshes and syncs pass 0.
    revision_max_age: float = 0.0
    sops: KeyMaterial = field(default_factory=KeyMaterial)  # SOPS keys and options (repo/sops)
    #: ``argosy.io/image-overrides`` of the Application: applied to Directory sources (repo/imageoverrides)
    image_overrides: list[str] = field(default_factory=list)

    @classmethod
    def from_application(cls, app: dict[str, Any], **kwargs: Any) -> RenderRequest:
        """Build from an Application object; ``kwargs`` set the other fields."""
        meta = app.get("metadata") or {}
        spec = app.get("spec") or {}
        if not isinstance(spec, dict):
            raise InvalidSourceError("spec: expected an object")
        sources = spec.get("sources") or ([spec["source"]] if spec.get("source") else [])
        if not sources:
            raise InvalidSourceError("spec.source or spec.sources: required")
        dest = spec.get("destination") or {}
        status = app.get("status") or {}
        sync = status.get("sync") or {}
        previous = list(sync.get("revisions") or ([sync["revision"]] if sync.get("revision") else []))
        values: dict[str, Any] = {
            "app_name": str(meta.get("name") or ""),
            "sources": list(sources),
            "namespace": str(dest.get("namespace") or ""),
            "app_namespace": str(meta.get("namespace") or ""),
            "project": str(spec.get("project") or "default"),
            "manifest_generate_paths": (meta.get("annotations") or {}).get(GENERATE_PATHS_ANNOTATION),
            "previous_revisions": previous,
            "image_overrides": imageoverrides.parse(
                (meta.get("annotations") or {}).get(imageoverrides.ANNOTATION)
            ),
        }
        values.update(kwargs)
        return cls(**values)

    def parsed_sources(self) -> list[RenderSource]:
        where = "spec.sources" if len(self.sources) > 1 else "spec.source"
        return [
            parse_source(s, f"{where}[{i}]" if len(self.sources) > 1 else where)
            for i, s in enumerate(self.sources)
        ]

    def context(self) -> RenderContext:
        return RenderContext(
            app_name=self.app_name,
            namespace=self.namespace,
            kube_version=self.kube_version,
            api_versions=tuple(self.api_versions),
            kustomize_build_options=self.kustomize_build_options,
            allow_remote_value_files=self.allow_remote_value_files,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "appName": self.app_name,
            "sources": self.sources,
            "namespace": self.namespace,
            "appNamespace": self.app_namespace,
            "project": self.project,
            "kubeVersion": self.kube_version,
            "apiVersions": self.api_versions,
            "repositories": self.repositories.to_dict(),
            "kustomizeBuildOptions": self.kustomize_build_options,
            "allowRemoteValueFiles": self.allow_remote_value_files,
            "manifestGeneratePaths": self.manifest_generate_paths,
            "previousRevisions": self.previous_revisions,
            "noCache": self.no_cache,
            "revisionMaxAge": self.revision_max_age,
            "sops": self.sops.to_dict(),
            "imageOverrides": self.image_overrides,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RenderRequest:
        return cls(
            app_name=str(d.get("appName") or ""),
            sources=list(d.get("sources") or []),
            namespace=str(d.get("namespace") or ""),
            app_namespace=str(d.get("appNamespace") or ""),
            project=str(d.get("project") or "default"),
            kube_version=str(d.get("kubeVersion") or ""),
            api_versions=[str(a) for a in d.get("apiVersions") or []],
            repositories=RepositoryStore.from_dict(d.get("repositories") or {}),
            kustomize_build_options=str(d.get("kustomizeBuildOptions") or ""),
            allow_remote_value_files=bool(d.get("allowRemoteValueFiles")),
            manifest_generate_paths=d.get("manifestGeneratePaths"),
            previous_revisions=[str(r) for r in d.get("previousRevisions") or []],
            no_cache=bool(d.get("noCache")),
            revision_max_age=float(d.get("revisionMaxAge") or 0.0),
            sops=KeyMaterial.from_dict(d.get("sops")),
            image_overrides=[str(i) for i in d.get("imageOverrides") or []],
        )
