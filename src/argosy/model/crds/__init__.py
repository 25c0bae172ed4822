"""The CustomResourceDefinitions for Application, AppProject and ApplicationSet.

They are installed before anything else (``kubectl apply --server-side -f``
each file, or ``crd_manifests()`` from code). Names, short names and printer
columns are Argo CD's, so a cluster can move between Argo CD and Argosy; the
schemas type only what every object needs and keep every other field, so any
manifest Argo CD accepts is accepted here too.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

CRD_FILES = ("applications.yaml", "appprojects.yaml", "applicationsets.yaml")


def crd_manifests() -> list[dict[str, Any]]:
    """The three CRDs as dicts, in install order (read from the package data)."""
    folder = resources.files(__package__)
    return [yaml.safe_load(folder.joinpath(name).read_text(encoding="utf-8")) for name in CRD_FILES]


def crd_yaml() -> str:
    """All CRDs as one multi-document YAML stream, ready for ``kubectl apply -f -``."""
    folder = resources.files(__package__)
    return "---\n".join(folder.joinpath(name).read_text(encoding="utf-8") for name in CRD_FILES)
