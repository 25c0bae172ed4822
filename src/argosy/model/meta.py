"""``apiVersion``/``kind`` and ``metadata`` of the resources: the parts Argosy reads.

Everything else (``managedFields``, ``ownerReferences``...) survives through
the view's round trip untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from argosy.model.base import View
from argosy.model.constants import API_VERSION


@dataclass
class ObjectMeta(View):
    """Name, place and bookkeeping of an object."""

    name: str = ""
    generate_name: str = ""
    namespace: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    finalizers: list[str] = field(default_factory=list)
    uid: str = ""
    resource_version: str = ""
    generation: int = 0
    creation_timestamp: str | None = None
    deletion_timestamp: str | None = None


@dataclass
class LabelSelectorRequirement(View):
    """``key`` ``operator`` (``In``, ``NotIn``, ``Exists``, ``DoesNotExist``) ``values``."""

    _required: ClassVar[tuple[str, ...]] = ("key", "operator")

    key: str = ""
    operator: str = ""
    values: list[str] = field(default_factory=list)


@dataclass
class LabelSelector(View):
    """Kubernetes' label selector: all ``matchLabels`` and all ``matchExpressions`` must hold."""

    match_labels: dict[str, str] = field(default_factory=dict)
    match_expressions: list[LabelSelectorRequirement] = field(default_factory=list)


def check_kind(api_version: str, kind: str, expected_kind: str, errors: list[str]) -> None:
    """A resource of another kind or version must not be read as this one."""
    if api_version != API_VERSION:
        errors.append(f"apiVersion: expected {API_VERSION}, got {api_version!r}")
    if kind != expected_kind:
        errors.append(f"kind: expected {expected_kind}, got {kind!r}")
