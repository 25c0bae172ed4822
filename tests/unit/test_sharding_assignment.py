"""Application sharding: balanced by apps, sticky, minimal movement; Argo CD's per-cluster modes."""

from __future__ import annotations

import pytest

from argosy.engine import sharding as s

APPS = [f"argocd/app-{i}" for i in range(1000)]
W = s.weights_of(APPS)


def test_three_replicas_each_own_a_third_within_the_tolerance() -> None:
    owners = s.assign({}, ["r1", "r2", "r3"], W)
    loads = s.loads(owners, W)
    assert sum(loads.values()) == 1000
    assert all(300 <= n <= 350 for n in loads.values()), loads


def test_a_fourth_replica_moves_at_most_thirty_percent_and_only_to_itself() -> None:
    before = s.assign({}, ["r1", "r2", "r3"], W)
    after = s.assign(before, ["r1", "r2", "r3", "r4"], W)
    moved = [a for a in APPS if before[s.bucket_of(a)] != after[s.bucket_of(a)]]
    assert len(moved) <= 300
    assert all(after[s.bucket_of(a)] == "r4" for a in moved), "nothing shuffles between old replicas"
    assert all(230 <= n <= 265 for n in s.loads(after, W).values()), s.loads(after, W)


def test_a_dead_replicas_apps_go_to_the_others_and_nothing_else_moves() -> None:
    before = s.assign({}, ["r1", "r2", "r3"], W)
    after = s.assign(before, ["r1", "r3"], W)
    for a in APPS:
        b = s.bucket_of(a)
        if before[b] != "r2":
            assert after[b] == before[b]
    assert all(n <= 525 for n in s.loads(after, W).values())


def test_stable_when_nothing_changes() -> None:
    once = s.assign({}, ["a", "b"], W)
    assert s.assign(once, ["a", "b"], W) == once


def test_new_apps_in_empty_buckets_follow_the_ring() -> None:
    owners = s.assign({}, ["a", "b", "c"], {})
    assert all(owners[b] == s.ring_owner(b, ["a", "b", "c"]) for b in range(0, s.BUCKETS, 97))


def test_assignment_round_trips_through_its_compact_record() -> None:
    owners = s.assign({}, ["a", "b", "c"], W)
    text = s.encode(owners, ["a", "b", "c"])
    assert len(text) == s.BUCKETS and s.decode(text, ["a", "b", "c"]) == owners
    with pytest.raises(ValueError, match="not listed"):
        s.decode(text, ["a"])
    with pytest.raises(ValueError, match="buckets"):
        s.decode("abc", ["a"])


def test_no_member_is_an_error() -> None:
    with pytest.raises(ValueError, match="no controller replica"):
        s.assign({}, [], W)


def test_argo_cd_legacy_and_round_robin_cluster_shards() -> None:
    clusters = [("", None), ("uid-b", None), ("uid-a", None), ("uid-c", 1), ("uid-d", 9)]
    legacy = s.cluster_shards(clusters, 3, "legacy")
    assert legacy[""] == 0, "in-cluster is always shard 0"
    assert legacy["uid-c"] == 1, "the shard field wins"
    assert legacy["uid-b"] == s._fnv32a("uid-b") % 3 and legacy["uid-d"] == s._fnv32a("uid-d") % 3
    rr = s.cluster_shards(clusters, 3, "round-robin")
    assert [rr["uid-a"], rr["uid-b"], rr["uid-d"]] == [0, 1, 0]
    with pytest.raises(ValueError, match="round-robin"):
        s.cluster_shards(clusters, 3, "consistent")


def test_fnv32a_matches_the_reference_vectors() -> None:
    assert s._fnv32a("") == 0x811C9DC5
    assert s._fnv32a("a") == 0xE40C292C
    assert s._fnv32a("foobar") == 0xBF9CF968


def test_statefulset_ordinal_from_hostname() -> None:
    assert s.shard_from_hostname("argocd-application-controller-2") == 2
    assert s.shard_from_hostname("laptop") is None
