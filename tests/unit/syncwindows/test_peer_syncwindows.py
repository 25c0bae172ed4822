"""Argo CD's own sync-window cases (``../shared/peer-data/syncwindows``) against our window logic.

Every case is run and the pass count reported, so a regression in one corner
of the semantics (time zones, AND matching, manualSync) shows up by name.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.engine.syncwindows import AppTarget, SyncWindowError, SyncWindows
from support.peer_data import peer_data_dir


def _load() -> list[dict[str, Any]]:
    path: Path = peer_data_dir("syncwindows") / "cases.yaml"
    data = yaml.safe_load(path.read_text())
    cases = data["cases"]
    assert isinstance(cases, list) and cases, f"{path} has no cases"
    return cases


def _indexes(selected: SyncWindows) -> list[int]:
    return sorted(w.index for w in selected)


def run_case(case: dict[str, Any]) -> tuple[Any, str | None]:
    """The answer our implementation gives to one case, and the error it reports (if any)."""
    windows = SyncWindows.from_spec(case["windows"])
    now = datetime.fromisoformat(case["now"])
    question = case["question"]
    try:
        if question == "active":
            return _indexes(windows.active(now)), None
        if question == "inactive_allows":
            return _indexes(windows.inactive_allows(now)), None
    except SyncWindowError as exc:
        return [], str(exc)
    if question == "matches":
        app = case["app"]
        dest = app.get("destination") or {}
        target = AppTarget(
            name=app["name"],
            namespace=dest.get("namespace", ""),
            server=dest.get("server", ""),
            cluster=dest.get("name", ""),
        )
        return _indexes(windows.matches(target)), None
    if question in ("can_sync_manual", "can_sync_auto"):
        decision = windows.decide(now, manual=question == "can_sync_manual")
        return decision.allowed, decision.error
    raise AssertionError(f"unknown question {question!r}")


def _failure(case: dict[str, Any]) -> str | None:
    got, error = run_case(case)
    problems = []
    if got != case["expected"]:
        problems.append(f"expected {case['expected']!r}, got {got!r}")
    if bool(case.get("error")) != (error is not None):
        problems.append(f"expected error={bool(case.get('error'))}, got {error!r}")
    for needle in case.get("error_contains") or []:
        if error is None or needle not in error:
            problems.append(f"error {error!r} lacks {needle!r}")
    return "; ".join(problems) or None


def test_every_peer_case_passes() -> None:
    cases = _load()
    failures = [(c.get("note", f"case {i}"), f) for i, c in enumerate(cases) if (f := _failure(c))]
    passed = len(cases) - len(failures)
    print(f"syncwindows peer data: {passed}/{len(cases)} cases pass")
    assert not failures, f"{len(failures)}/{len(cases)} failed:\n" + "\n".join(
        f"{n}: {f}" for n, f in failures
    )


@pytest.mark.parametrize(
    "question", ["active", "inactive_allows", "matches", "can_sync_manual", "can_sync_auto"]
)
def test_each_question_kind_is_covered(question: str) -> None:
    """Guard against the data changing shape: every question kind we answer must appear and pass."""
    cases = [c for c in _load() if c["question"] == question]
    assert cases, f"no {question} cases in the peer data"
    assert [c.get("note") for c in cases if _failure(c)] == []
