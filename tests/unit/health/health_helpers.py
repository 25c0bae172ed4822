"""Shared helpers for the health tests: YAML read the way the API server sends JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class _JsonLikeLoader(yaml.SafeLoader):
    """Keeps timestamps as strings, as they arrive from the Kubernetes API."""


_JsonLikeLoader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_object(path: Path) -> Any:
    return yaml.load(path.read_text(), Loader=_JsonLikeLoader)
