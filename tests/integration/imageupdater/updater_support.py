"""Helpers of the image updater's live tests (the fixtures are in ``conftest.py``)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import yaml

from support.cluster import ClusterHandle
from support.oci_registry import OciRegistry

COFFEE = "qjoly/kubernetes-coffee-image"
TAGS = [("v1", "2024-01-01T00:00:00Z"), ("v2", "2024-02-01T00:00:00Z"), ("v4", "2024-04-01T00:00:00Z")]
TAGS += [("v3", "2024-05-01T00:00:00Z"), ("latest", "2024-04-01T00:00:00Z")]

RunUpdater = Callable[..., subprocess.CompletedProcess[str]]


def registries_conf(reg: OciRegistry, **extra: object) -> str:
    """Docker Hub (references without registry) answered by the loopback registry."""
    entry = {"name": "Docker Hub (loopback)", "prefix": "docker.io", "api_url": reg.url, "default": True}
    return yaml.safe_dump({"registries": [{**entry, **extra}]})


def events(cluster: ClusterHandle, namespace: str, name: str) -> list[dict[str, object]]:
    out = cluster.kubectl(
        "get", "events", "-n", namespace, "--field-selector", f"involvedObject.name={name}", "-o", "yaml"
    ).stdout
    return list((yaml.safe_load(out) or {}).get("items") or [])
