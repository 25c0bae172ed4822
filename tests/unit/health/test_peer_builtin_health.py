"""Every case of Argo CD's own built-in health tests (peer data) must give Argo CD's answer.

The cases live in ``../shared/peer-data/builtin-health`` (not in this repository);
``status: null`` means Argo CD has no built-in health for that object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from health_helpers import load_object

from argosy.engine.health import assess
from support.peer_data import peer_data_dir


def _cases() -> tuple[Path, list[dict[str, Any]]]:
    root = peer_data_dir("builtin-health")
    doc = yaml.safe_load((root / "cases.yaml").read_text())
    return root, list(doc["cases"])


def test_every_builtin_health_case_matches_argo_cd(capsys: pytest.CaptureFixture[str]) -> None:
    root, cases = _cases()
    assert cases, "cases.yaml lists no cases"
    failures: list[str] = []
    for case in cases:
        obj = load_object(root / case["input"])
        result = assess(obj, {}, argosy_rules=False)
        got = None if result is None else result.status.value
        if got != case["status"]:
            failures.append(f"{case['input']}: expected {case['status']}, got {got} ({result})")
        elif "message" in case and result is not None and result.message != case["message"]:
            failures.append(f"{case['input']}: expected message {case['message']!r}, got {result.message!r}")
    passed = len(cases) - len(failures)
    with capsys.disabled():
        print(f"\nbuiltin-health peer data: {passed}/{len(cases)} cases pass")
    assert not failures, "\n".join(failures)
