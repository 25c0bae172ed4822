"""Argo CD's own three-way diff cases (gitops-engine pkg/diff), loaded from peer data.

Every case in ``../shared/peer-data/diff/cases.yaml`` must report ``modified``
exactly as Argo CD does; the pass count is printed for the record.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.engine.diff import DiffConfig, diff
from support.peer_data import peer_data_dir


def _cases() -> tuple[Path, list[dict[str, Any]]]:
    root = peer_data_dir("diff")
    doc = yaml.safe_load((root / "cases.yaml").read_text())
    return root, list(doc["cases"])


def _run(root: Path, case: dict[str, Any]) -> bool:
    config = json.loads((root / case["config"]).read_text())
    live = json.loads((root / case["live"]).read_text())
    options = case.get("options") or {}
    cfg = DiffConfig(ignore_aggregated_roles=bool(options.get("ignore_aggregated_roles", False)))
    return diff(config, live, cfg).modified


def test_every_peer_case_reports_modified_as_argo_cd() -> None:
    root, cases = _cases()
    failures = []
    for case in cases:
        got = _run(root, case)
        if got is not bool(case["modified"]):
            failures.append(
                f"{case['config']} vs {case['live']}: got {got}, want {case['modified']} ({case['note']})"
            )
    passed = len(cases) - len(failures)
    print(f"\npeer diff cases: {passed}/{len(cases)} passed")
    assert not failures, "\n".join(failures)
    assert cases, "cases.yaml holds no cases"


def test_peer_cases_have_both_answers() -> None:
    # A suite where every case says "not modified" could be passed by a diff that
    # never finds anything; make sure the data exercises both answers.
    _, cases = _cases()
    assert {bool(c["modified"]) for c in cases} == {True, False}


@pytest.mark.parametrize("flip", [False, True])
def test_aggregated_role_option_decides_the_answer(flip: bool) -> None:
    root = peer_data_dir("diff")
    case = {
        "config": "testdata/aggr-clusterrole-config.json",
        "live": "testdata/aggr-clusterrole-live.json",
        "options": {"ignore_aggregated_roles": flip},
    }
    # Rules were applied before (last-applied) and the config no longer lists
    # them: drift, unless the controller-filled rules of an aggregated role are ignored.
    assert _run(root, case) is (not flip)
