"""Argo CD manifests using every spec field (``manifests/argocd-examples.yaml``), for model and CRD tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).parent / "manifests" / "argocd-examples.yaml"


def argocd_examples() -> list[dict[str, Any]]:
    """Each example object, freshly loaded (callers may change them)."""
    return [doc for doc in yaml.safe_load_all(EXAMPLES.read_text(encoding="utf-8")) if doc]
