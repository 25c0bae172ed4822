"""Where an application deploys: a cluster (by ``server`` URL or ``name``) and a namespace.

The same shape appears in an Application's ``spec.destination``, in
``status.sync.comparedTo`` and, with globs, in an AppProject's ``destinations``.
"""

from __future__ import annotations

from dataclasses import dataclass

from argosy.model.base import View

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"


@dataclass
class ApplicationDestination(View):
    """A target cluster and namespace."""

    server: str = ""
    """URL of the cluster's API server (``https://kubernetes.default.svc`` for the local one)."""
    namespace: str = ""
    """Namespace for namespaced resources that set none."""
    name: str = ""
    """Name of the cluster, instead of ``server``."""


def check_destination(dest: ApplicationDestination, path: str, errors: list[str]) -> None:
    """An app names its cluster one way only: Argo CD refuses both or neither."""
    if dest.server and dest.name:
        errors.append(f"{path}: set name or server, not both")
    elif not dest.server and not dest.name:
        errors.append(f"{path}: set name or server")
