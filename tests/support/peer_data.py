"""Argo CD's own test cases, shared beside the checkout in ``../shared/peer-data``."""

from __future__ import annotations

from pathlib import Path

import pytest

PEER_DATA = Path(__file__).resolve().parents[3] / "shared" / "peer-data"


def peer_data_dir(name: str) -> Path:
    """``../shared/peer-data/<name>`` beside the checkout (Argo CD's own cases), or skip.

    The data is not copied into the repository: tests load it when present.
    """
    path = PEER_DATA / name
    if not path.is_dir():
        pytest.skip(f"peer data {path} not present")
    return path
