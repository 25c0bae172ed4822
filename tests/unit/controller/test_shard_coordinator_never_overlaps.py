"""The Lease protocol between replicas: no bucket owned twice at any moment, takeover of a dead
replica's apps, release before handover, fencing of a replica that cannot renew."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from argosy.controller.sharding.coordinator import LEASE_SECONDS, NotOwner, ShardCoordinator
from argosy.controller.sharding.leases import Member, Record
from argosy.engine import sharding

APPS = [f"argocd/app-{i}" for i in range(300)]


class World:
    """A fake API server for the sharding objects, with one clock for everyone."""

    def __init__(self) -> None:
        self.t = 0.0
        self.leases: dict[str, tuple[float, int]] = {}
        self.leader: tuple[str, float] | None = None
        self.record: Record | None = None
        self.rv = 0
        self.down: set[str] = set()  # replicas cut off from the API server

    def now(self) -> datetime:
        return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=self.t)


class Store:
    def __init__(self, world: World, replica: str) -> None:
        self.w, self.replica = world, replica

    def _reachable(self) -> None:
        if self.replica in self.w.down:
            raise ConnectionError("API server unreachable")

    def renew_member(self, replica: str, duration: float, applied_epoch: int, now: datetime) -> None:
        self._reachable()
        self.w.leases[replica] = (self.w.t, applied_epoch)

    def members(self) -> list[Member]:
        self._reachable()
        base = datetime(2026, 1, 1, tzinfo=UTC)
        return [
            Member(r, base + timedelta(seconds=t), LEASE_SECONDS, epoch)
            for r, (t, epoch) in self.w.leases.items()
        ]

    def release_member(self, replica: str) -> None:
        self.w.leases.pop(replica, None)

    def try_lead(self, replica: str, duration: float, now: datetime) -> bool:
        self._reachable()
        if self.w.leader is None or self.w.leader[0] == replica or self.w.t - self.w.leader[1] >= duration:
            self.w.leader = (replica, self.w.t)
            return True
        return False

    def read_record(self) -> Record | None:
        self._reachable()
        return self.w.record

    def write_record(self, record: Record, previous: Record | None) -> bool:
        self._reachable()
        if (previous is None) != (self.w.record is None) or (
            previous is not None and self.w.record is not None and previous.epoch != self.w.record.epoch
        ):
            return False
        self.w.rv += 1
        self.w.record = Record(record.epoch, record.members, record.owners, str(self.w.rv))
        return True


def _replica(world: World, name: str, busy: set[str] | None = None) -> ShardCoordinator:
    working = busy if busy is not None else set()
    return ShardCoordinator(
        Store(world, name),
        name,
        lambda: APPS,
        busy=lambda buckets: any(sharding.bucket_of(k) in buckets for k in working),
        now=world.now,
        monotonic=lambda: world.t,
    )


def _run(world: World, replicas: list[ShardCoordinator], seconds: float) -> None:
    """Tick everyone once a second, checking after every tick that no app has two owners."""
    for _ in range(int(seconds)):
        world.t += 1.0
        for r in replicas:
            with contextlib.suppress(ConnectionError):  # the real loop logs and retries next tick
                r.tick()
            for app in APPS:
                assert sum(x.owns(app) for x in replicas) <= 1, f"{app} owned twice at t={world.t}"


def _counts(replicas: list[ShardCoordinator]) -> dict[str, int]:
    return {r.replica: sum(r.owns(a) for a in APPS) for r in replicas}


def test_three_replicas_split_the_apps_and_a_dead_ones_apps_move_within_fifteen_seconds() -> None:
    world = World()
    rs = [_replica(world, f"r{i}") for i in range(3)]
    _run(world, rs, 6)
    counts = _counts(rs)
    assert sum(counts.values()) == 300 and all(85 <= n <= 115 for n in counts.values()), counts

    dead = rs.pop(1)
    dead_apps = [a for a in APPS if dead.owns(a)]
    died_at = world.t
    for _ in range(15):
        _run(world, rs, 1)
        if all(any(r.owns(a) for r in rs) for a in dead_apps):
            break
    assert all(any(r.owns(a) for r in rs) for a in dead_apps)
    assert world.t - died_at <= 15.0, world.t - died_at


def test_the_leaders_death_moves_its_apps_within_fifteen_seconds_too() -> None:
    # The leader Lease must expire and be taken before anyone writes the new assignment.
    world = World()
    rs = [_replica(world, f"r{i}") for i in range(3)]
    _run(world, rs, 6)
    assert world.leader is not None
    leader = next(r for r in rs if r.replica == world.leader[0])
    rs.remove(leader)
    orphans = [a for a in APPS if leader.owns(a)]
    died_at = world.t
    while not all(any(r.owns(a) for r in rs) for a in orphans) and world.t - died_at < 30:
        _run(world, rs, 1)
    assert world.t - died_at <= 15.0, world.t - died_at
    assert world.leader[0] != leader.replica


def test_a_quiet_replica_does_not_weigh_its_apps_every_second() -> None:
    # The weights (a hash of every app key) are computed when an assignment may change, not per tick.
    world = World()
    calls = 0

    def apps() -> list[str]:
        nonlocal calls
        calls += 1
        return APPS

    r = ShardCoordinator(Store(world, "solo"), "solo", apps, busy=lambda _: False, now=world.now,
                         monotonic=lambda: world.t)  # fmt: skip
    _run(world, [r], 6)
    settled = calls
    _run(world, [r], 30)
    assert calls == settled and _counts([r]) == {"solo": 300}


def test_a_joining_replica_takes_its_share_only_after_the_old_owner_let_go() -> None:
    world = World()
    busy: set[str] = set()
    rs = [_replica(world, "a", busy), _replica(world, "b")]
    _run(world, rs, 6)
    before = {a: next(r.replica for r in rs if r.owns(a)) for a in APPS}
    busy.update(a for a in APPS if before[a] == "a")  # "a" is in the middle of work on all its apps
    rs.append(_replica(world, "c"))
    _run(world, rs, 6)
    assert _counts(rs)["c"] == 0, "nothing is taken from a replica that is still working on it"
    busy.clear()
    _run(world, rs, 6)
    after = {a: next(r.replica for r in rs if r.owns(a)) for a in APPS}
    moved = [a for a in APPS if before[a] != after[a]]
    assert 0 < len(moved) <= 0.4 * len(APPS) and all(after[a] == "c" for a in moved)


def test_a_replica_that_cannot_renew_stops_before_the_others_take_over() -> None:
    world = World()
    rs = [_replica(world, "a"), _replica(world, "b")]
    _run(world, rs, 6)
    mine = next(a for a in APPS if rs[0].owns(a))
    world.down.add("a")
    _run(world, rs, 7)
    assert not rs[0].owns(mine), "fenced: its Lease may be expired for the others"
    try:
        rs[0].check(mine)
    except NotOwner as exc:
        assert mine in str(exc)
    else:
        raise AssertionError("check() must refuse writes when fenced")
    _run(world, rs, 8)
    assert rs[1].owns(mine)


def test_a_replica_fenced_briefly_queues_its_apps_again_when_it_renews() -> None:
    """A renewal late by a few seconds (a busy API server) fences the replica: its workers drop
    the apps with NotOwner. Nobody else took them, so once it renews they must be queued again."""
    world = World()
    gained: list[frozenset[int]] = []
    r = ShardCoordinator(
        Store(world, "a"), "a", lambda: APPS, on_gain=gained.append, now=world.now, monotonic=lambda: world.t
    )
    _run(world, [r], 3)
    owned = r.owned_buckets()
    assert owned and gained == [owned]
    world.down.add("a")
    _run(world, [r], 6)
    assert not r.owns(APPS[0]), "fenced"
    world.down.discard("a")
    _run(world, [r], 2)
    assert r.owns(APPS[0]) and gained == [owned, owned], "its apps are queued again"
