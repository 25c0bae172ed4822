"""How often ApplicationSets whose generators call hosted APIs are regenerated without an event."""

from __future__ import annotations

import pytest

from argosy.appset.requeue import requeue_after_seconds


@pytest.mark.parametrize("kind", ["pullRequest", "scmProvider"])
def test_scm_generators_poll_every_30_minutes_unless_told(kind: str) -> None:
    # Argo CD's default for hosted APIs, whose tokens are rate-limited; the environment's
    # default is for Git and plugins only, and the generator's own value wins.
    assert requeue_after_seconds([{kind: {"github": {}}}]) == 1800
    assert requeue_after_seconds([{kind: {"github": {}}}], "5m") == 1800
    assert requeue_after_seconds([{kind: {"github": {}, "requeueAfterSeconds": 60}}]) == 60
    assert requeue_after_seconds([{kind: {"github": {}}}, {"git": {"repoURL": "x"}}]) == 180
    assert requeue_after_seconds([{"matrix": {"generators": [{kind: {}}, {"list": {}}]}}]) == 1800
