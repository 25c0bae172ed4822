"""The repo service: from an Application's source to the Kubernetes objects it describes.

Given ``spec.source`` (or ``spec.sources``) and the destination's context
(Kubernetes version, API versions, namespace), it resolves ``targetRevision``
to a commit (or chart version), fetches the repository only when that commit
is new, and renders the path with Kustomize, Helm or as a plain directory of
YAML/JSON - exactly as Argo CD would. Each object comes back with its
provenance (source, file, document) so later errors can name the file.

Results are cached by (repository, commit, path, source options, destination
context, tool versions): a refresh with no new commit costs one ``git
ls-remote`` and no render. Repository content is untrusted: paths may not
leave the repository, every tool runs with a timeout and an output cap, and
credentials never reach process arguments or messages. The service holds no
cluster credentials; it runs in-process (:class:`RepoService`) or as
``argosy repo-server`` (:class:`HttpRepoClient` talks to it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from argosy.repo.client import HttpRepoClient, RepoClient
    from argosy.repo.errors import RepoError
    from argosy.repo.request import RenderRequest
    from argosy.repo.result import Provenance, RenderedObject, RenderResult, SourceResult
    from argosy.repo.service import RepoService

# Loaded on first use, so a small program that needs one module (the SOPS plugin that
# kustomize starts once per generator) does not pay for the HTTP client and the service.
_EXPORTS = {
    "HttpRepoClient": "argosy.repo.client",
    "RepoClient": "argosy.repo.client",
    "RepoError": "argosy.repo.errors",
    "RenderRequest": "argosy.repo.request",
    "Provenance": "argosy.repo.result",
    "RenderedObject": "argosy.repo.result",
    "RenderResult": "argosy.repo.result",
    "SourceResult": "argosy.repo.result",
    "RepoService": "argosy.repo.service",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'argosy.repo' has no attribute {name!r}")


__all__ = [
    "HttpRepoClient",
    "Provenance",
    "RenderRequest",
    "RenderResult",
    "RenderedObject",
    "RepoClient",
    "RepoError",
    "RepoService",
    "SourceResult",
]
