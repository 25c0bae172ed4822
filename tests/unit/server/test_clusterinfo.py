"""The cluster probe cache: one probe per cluster per TTL, a changed Secret probed afresh."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

import argosy.server.clusterinfo as clusterinfo
from argosy.server.clusterinfo import ClusterInfo, ClusterInfoCache
from argosy.settings.clusters import ClusterConfig


@pytest.fixture
def probes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def fake(cluster: ClusterConfig, timeout: float = 5.0) -> ClusterInfo:
        calls.append(cluster.server)
        ok = "dead" not in cluster.server
        return ClusterInfo(ok, "v1.31.2" if ok else "", "" if ok else "refused", datetime.now(UTC))

    monkeypatch.setattr(clusterinfo, "probe", fake)
    return calls


def test_answers_are_reused_within_the_ttl_and_in_order(probes: list[str]) -> None:
    cache = ClusterInfoCache(ttl=60)
    live, dead = ClusterConfig(server="https://live"), ClusterConfig(server="https://dead")
    first = cache.get_many([live, dead])
    assert [i.ok for i in first] == [True, False]
    assert first[1].connection_state()["status"] == "Failed"
    assert first[0].connection_state()["status"] == "Successful"
    assert cache.get(dead) is first[1] and cache.get(live) is first[0]
    assert sorted(probes) == ["https://dead", "https://live"]


def test_expired_or_changed_clusters_are_probed_again(probes: list[str]) -> None:
    cache = ClusterInfoCache(ttl=0)
    live = ClusterConfig(server="https://live")
    cache.get(live)
    cache.get(live)
    assert probes == ["https://live", "https://live"]
    cache = ClusterInfoCache(ttl=60)
    cache.get(live)
    cache.get(replace(live, bearer_token="rotated"))
    assert probes[2:] == ["https://live", "https://live"]
