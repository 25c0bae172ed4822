"""The README's demo command ends with a Synced and Healthy Application."""

from __future__ import annotations

import subprocess
import sys


def _argosy(*args: str, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "argosy", *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_demo_syncs_the_helm_chart_to_synced_and_healthy() -> None:
    try:
        result = _argosy("dev", "demo", "up", "--timeout", "240", timeout=400)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "is Synced and Healthy" in result.stdout
        for kind in ("Deployment", "Service", "ConfigMap"):
            assert kind in result.stdout
    finally:
        down = _argosy("dev", "demo", "down", timeout=120)
    assert down.returncode == 0
    again = _argosy("dev", "demo", "down", timeout=120)
    assert again.returncode == 0, "demo down when down must not fail"
