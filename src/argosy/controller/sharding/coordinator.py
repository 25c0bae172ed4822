"""Application sharding between controller replicas, coordinated through Leases.

The contract: **no application is reconciled or synced by two replicas at once**,
a replica that dies has its apps taken over within ~10 s, and a replica joining
or leaving moves only its share.

How (each replica runs :meth:`ShardCoordinator.tick` every second):

1. it renews its member Lease (every ``RENEW_SECONDS``, valid ``LEASE_SECONDS``);
   if it could not renew for ``LEASE_SECONDS - FENCING_MARGIN`` it owns nothing
   (fencing: it stops before the others may consider it dead);
2. the replica holding the leader Lease writes a new assignment (epoch + 1) when
   the live members changed, or when loads drifted out of balance (at most every
   ``REBALANCE_SECONDS``) — :func:`argosy.engine.sharding.assign`;
3. on a new epoch, a replica first **drops** the buckets it lost (no new work on
   them; :meth:`check` refuses writes, so a sync in progress stops at its next
   write and the new owner resumes it from ``status.operationState``), waits
   until no worker is busy on them, then records the epoch as applied on its
   Lease; it **takes** the buckets it gained only once every live member has
   applied that epoch (a fresh LIST of the Leases), i.e. once the previous owner
   has let go — or is dead, its Lease expired.

:meth:`owns` decides whether to start work on an app; :meth:`check` is called
before every write and raises :class:`NotOwner` when the app is no longer ours.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Protocol

from argosy.controller.sharding.instance import ReplicaIdInUse
from argosy.controller.sharding.leases import Member, Record
from argosy.engine import sharding

log = logging.getLogger("argosy.controller.sharding")

LEASE_SECONDS = 8.0
RENEW_SECONDS = 2.0
FENCING_MARGIN = 2.0
TICK_SECONDS = 1.0
REBALANCE_SECONDS = 60.0


class NotOwner(BaseException):
    """This replica does not (or no longer) own the app: stop touching it.

    A BaseException so generic ``except Exception`` handlers in the sync runner do not
    record it as a failed step: the work is abandoned, not failed, and the new owner resumes it.
    """

    def __init__(self, key: str) -> None:
        super().__init__(f"application {key} is now reconciled by another controller replica")
        self.key = key


class ShardStore(Protocol):
    def renew_member(self, replica: str, duration: float, applied_epoch: int, now: datetime) -> None: ...

    def members(self) -> list[Member]: ...

    def release_member(self, replica: str) -> None: ...

    def try_lead(self, replica: str, duration: float, now: datetime) -> bool: ...

    def read_record(self) -> Record | None: ...

    def write_record(self, record: Record, previous: Record | None) -> bool: ...


class ShardCoordinator:
    """One replica's view: which buckets it owns now; thread-safe."""

    def __init__(
        self,
        store: ShardStore,
        replica: str,
        app_keys: Callable[[], Collection[str]],
        *,
        busy: Callable[[frozenset[int]], bool] = lambda buckets: False,
        on_gain: Callable[[frozenset[int]], None] = lambda buckets: None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.replica = replica
        self.app_keys = app_keys
        self.busy = busy
        self.on_gain = on_gain
        self.now = now
        self.monotonic = monotonic
        self._lock = threading.Lock()
        self._owned: frozenset[int] = frozenset()
        self._releasing: frozenset[int] = frozenset()
        self._applied = 0
        self._pending: tuple[int, frozenset[int]] | None = None  # (epoch, buckets) to take
        self._renewed_at: float | None = None
        self._standing_by = False
        self._last_renew_try = -1e9
        self._last_balance = -1e9
        self._leading = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.epoch = 0

    # ------------------------------------------------------------ queries
    def _valid(self) -> bool:
        return (
            self._renewed_at is not None
            and self.monotonic() - self._renewed_at < LEASE_SECONDS - FENCING_MARGIN
        )

    def owns(self, key: str) -> bool:
        with self._lock:
            return self._valid() and sharding.bucket_of(key) in self._owned

    def check(self, key: str) -> None:
        """Raise :class:`NotOwner` unless this replica may write for ``key`` now."""
        if not self.owns(key):
            raise NotOwner(key)

    def owned_buckets(self) -> frozenset[int]:
        with self._lock:
            return self._owned

    # ------------------------------------------------------------- the loop
    def tick(self) -> None:
        # Every second: one read of the record and, on the leader, the member LIST (a dead or
        # new replica is seen within a second of its Lease changing). Both Leases are renewed
        # every RENEW_SECONDS, and the app weights are computed only when an assignment may be
        # written: a quiet leader makes ~4 requests a second (was 6), a follower ~2.5, and
        # neither does work that grows with the app count.
        mono = self.monotonic()
        if mono - self._last_renew_try >= RENEW_SECONDS:
            self._last_renew_try = mono
            self._renew()
            self._leading = False  # an error below leaves it so: no writes as a stale leader
            if self._renewed_at is not None:
                self._leading = self.store.try_lead(self.replica, LEASE_SECONDS, self.now())
        if self._renewed_at is None:
            return
        record = self.store.read_record()
        if self._leading:
            record = self._lead(record)
        self._follow(record)

    def _renew(self) -> None:
        try:
            self.store.renew_member(self.replica, LEASE_SECONDS, self._applied, self.now())
            with self._lock:
                fenced = self._renewed_at is not None and not self._valid()
                self._renewed_at = self.monotonic()
                owned = self._owned
            if fenced and owned:
                # While fenced (a late renewal: a slow or busy API server), work on these apps was
                # abandoned with NotOwner and nobody else took them: queue them again, or they
                # would wait for their periodic refresh (minutes) with syncs left Running.
                log.info("controller replica %s renewed its Lease again; resuming its apps", self.replica)
                self.on_gain(owned)
            if self._standing_by:
                log.info("controller replica %s: took over its Lease; reconciling", self.replica)
                self._standing_by = False
        except ReplicaIdInUse as exc:
            # Another process reconciles as this replica id: own nothing, start over once it is gone.
            with self._lock:
                self._renewed_at = None
                self._owned = self._releasing = frozenset()
                self._pending = None
            self._applied = 0
            if not self._standing_by:
                log.warning("%s", exc)
                self._standing_by = True
        except Exception as exc:  # the API server may be down: fencing takes over
            log.warning("controller replica %s could not renew its Lease: %s", self.replica, exc)

    def _live_members(self) -> list[Member]:
        now = self.now()
        return [m for m in self.store.members() if m.alive(now)]

    def _lead(self, record: Record | None) -> Record | None:
        """Write a new assignment when needed; returns the record now stored."""
        live = sorted({m.id for m in self._live_members()} | {self.replica})
        changed = record is None or set(record.members) != set(live)
        mono = self.monotonic()
        if not changed and mono - self._last_balance < REBALANCE_SECONDS:
            return record
        weights = sharding.weights_of(list(self.app_keys()))
        previous: dict[int, str] = {}
        if record is not None:
            try:
                previous = sharding.decode(record.owners, list(record.members))
            except ValueError as exc:
                log.warning("ignoring the stored sharding record: %s", exc)
        if not changed:
            self._last_balance = mono
            loads = sharding.loads(previous, weights)
            mean = sum(weights.values()) / len(live)
            if all(abs(loads.get(m, 0) - mean) <= max(1.0, 0.1 * mean) for m in live):
                return record
        owners = sharding.assign(previous, live, weights)
        if not changed and owners == previous:
            return record
        epoch = (record.epoch if record else 0) + 1
        new = Record(epoch, tuple(live), sharding.encode(owners, live))
        if not self.store.write_record(new, record):
            return self.store.read_record()  # another leader wrote first
        self._last_balance = mono
        log.info(
            "sharding epoch %d: %s",
            epoch,
            ", ".join(f"{m}={n}" for m, n in sorted(sharding.loads(owners, weights).items())),
        )
        return new

    def _follow(self, record: Record | None) -> None:
        if record is not None and record.epoch > self._applied:
            try:
                owners = sharding.decode(record.owners, list(record.members))
            except ValueError as exc:
                log.warning("sharding record epoch %d is unreadable: %s", record.epoch, exc)
                return
            mine = frozenset(b for b, m in owners.items() if m == self.replica)
            with self._lock:
                # Stop starting work on lost apps at once; they stay "releasing" until no worker
                # is on them any more, and only then is the epoch applied.
                self._releasing = (self._releasing | (self._owned - mine)) - mine
                self._owned = self._owned & mine
                self._pending = None
                releasing = self._releasing
            if releasing and self.busy(releasing):
                return  # release first; try again next tick
            with self._lock:
                self._releasing = frozenset()
            self._applied = record.epoch
            self.epoch = record.epoch
            self._renew()  # publish the applied epoch now
            with self._lock:
                self._pending = (record.epoch, mine - self._owned)
        if self._pending is not None:
            epoch, gained = self._pending
            others = [m for m in self._live_members() if m.id != self.replica]
            if all(m.applied_epoch >= epoch for m in others):
                with self._lock:
                    self._owned = self._owned | gained
                    self._pending = None
                if gained:
                    log.info(
                        "controller replica %s now reconciles %d more buckets", self.replica, len(gained)
                    )
                    self.on_gain(gained)

    # ----------------------------------------------------------- lifecycle
    def run(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            try:
                self.tick()
            except Exception:
                log.exception("sharding tick failed")

    def start(self) -> None:
        self.tick()
        self._thread = threading.Thread(target=self.run, name="sharding", daemon=True)
        self._thread.start()

    def stop(self, release: bool = True) -> None:
        """Stop coordinating; ``release`` deletes the member Lease so the others take over at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        with self._lock:
            self._owned = frozenset()
        if release:
            try:
                self.store.release_member(self.replica)
            except Exception as exc:
                log.warning("could not release the Lease of replica %s: %s", self.replica, exc)
