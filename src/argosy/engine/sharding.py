"""Which controller replica reconciles which Application: pure rules, no I/O.

Argosy shards by **application**, so one big cluster spreads over every
replica (Argo CD shards only by destination cluster). Apps hash into a fixed
number of buckets (:data:`BUCKETS`); an assignment gives each bucket an owner.

:func:`assign` computes the next assignment from the previous one:

* **sticky**: a bucket keeps its owner while that owner is a member, so a
  replica joining or leaving moves only what must move (about 1/n of the apps);
* **bounded loads**: no member holds more than ``(1 + tolerance)`` times the
  mean number of apps (weights are app counts per bucket, so balance is by
  apps, not buckets); overloaded members give their smallest buckets to the
  least loaded;
* buckets holding no app follow a consistent-hash ring, so the first apps of a
  new bucket land where the ring says, without any coordination.

Per-cluster sharding as Argo CD does it (``legacy`` FNV-32a of the cluster's id
modulo replicas, ``round-robin`` over clusters sorted by id, the ``shard``
field of the cluster Secret overriding both, the in-cluster destination on
shard 0) is :func:`cluster_shards`, kept for compatibility.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Mapping, Sequence

BUCKETS = 4096
VIRTUAL_NODES = 128
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def bucket_of(app_key: str) -> int:
    """The bucket of an app (``namespace/name``)."""
    return _hash(app_key) % BUCKETS


def ring_owner(bucket: int, members: Sequence[str]) -> str:
    """The member a consistent-hash ring (``VIRTUAL_NODES`` points each) gives ``bucket``."""
    points = sorted((_hash(f"{m}#{i}"), m) for m in members for i in range(VIRTUAL_NODES))
    return _ring_lookup(points, bucket)


def _ring_lookup(points: list[tuple[int, str]], bucket: int) -> str:
    h = _hash(f"bucket-{bucket}")
    i = bisect.bisect_left(points, (h, ""))
    return points[i % len(points)][1]


def assign(
    previous: Mapping[int, str],
    members: Sequence[str],
    weights: Mapping[int, int],
    tolerance: float = 0.05,
) -> dict[int, str]:
    """The next owner of every bucket (see the module docstring). ``members`` must not be empty."""
    if not members:
        raise ValueError("no controller replica to assign applications to")
    alive = sorted(set(members))
    points = sorted((_hash(f"{m}#{i}"), m) for m in alive for i in range(VIRTUAL_NODES))
    owners: dict[int, str] = {}
    load = dict.fromkeys(alive, 0)
    total = sum(max(0, w) for w in weights.values())
    mean = total / len(alive)
    cap = max(1, int(mean * (1.0 + tolerance) + 0.999999))
    floor = int(mean * (1.0 - tolerance))
    orphans: list[int] = []
    for b in range(BUCKETS):
        owner = previous.get(b)
        w = max(0, weights.get(b, 0))
        if w == 0:
            owners[b] = _ring_lookup(points, b)
        elif owner in load:
            owners[b] = owner
            load[owner] += w
        else:
            orphans.append(b)
    # Orphaned buckets (their owner left): to the ring's choice if it has room, else the least loaded.
    for b in sorted(orphans, key=lambda x: -weights.get(x, 0)):
        w = weights.get(b, 0)
        choice = _ring_lookup(points, b)
        if load[choice] + w > cap:
            choice = min(alive, key=lambda m: (load[m], m))
        owners[b] = choice
        load[choice] += w
    # Bounded loads: move the smallest buckets from the most to the least loaded member until
    # every member is within the tolerance of the mean (or no move helps).
    for _ in range(BUCKETS):
        heavy = max(alive, key=lambda m: (load[m], m))
        light = min(alive, key=lambda m: (load[m], m))
        if load[heavy] <= cap and load[light] >= floor:
            break
        candidates = sorted(
            (b for b, o in owners.items() if o == heavy and weights.get(b, 0) > 0),
            key=lambda x: (weights.get(x, 0), x),
        )
        moved = False
        for b in candidates:
            w = weights[b]
            if load[light] + w < load[heavy]:
                owners[b] = light
                load[heavy] -= w
                load[light] += w
                moved = True
                break
        if not moved:
            break
    return owners


def loads(owners: Mapping[int, str], weights: Mapping[int, int]) -> dict[str, int]:
    """Apps per member."""
    out: dict[str, int] = {}
    for b, owner in owners.items():
        out[owner] = out.get(owner, 0) + weights.get(b, 0)
    return out


def weights_of(app_keys: Sequence[str]) -> dict[int, int]:
    """Apps per bucket."""
    out: dict[int, int] = {}
    for key in app_keys:
        b = bucket_of(key)
        out[b] = out.get(b, 0) + 1
    return out


def encode(owners: Mapping[int, str], members: Sequence[str]) -> str:
    """One character per bucket, indexing ``members`` (at most 62): 4 KiB in a ConfigMap."""
    index = {m: _ALPHABET[i] for i, m in enumerate(members)}
    if len(members) > len(_ALPHABET):
        raise ValueError(f"at most {len(_ALPHABET)} controller replicas are supported")
    return "".join(index[owners[b]] for b in range(BUCKETS))


def decode(text: str, members: Sequence[str]) -> dict[int, str]:
    """The inverse of :func:`encode`; a malformed record raises ValueError naming the problem."""
    if len(text) != BUCKETS:
        raise ValueError(f"assignment has {len(text)} buckets, expected {BUCKETS}")
    out: dict[int, str] = {}
    for b, ch in enumerate(text):
        i = _ALPHABET.find(ch)
        if i < 0 or i >= len(members):
            raise ValueError(f"assignment bucket {b} names member {ch!r}, which is not listed")
        out[b] = members[i]
    return out


# ---------------------------------------------------------------- per cluster (Argo CD)
def _fnv32a(text: str) -> int:
    h = 0x811C9DC5
    for byte in text.encode():
        h ^= byte
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def cluster_shards(
    clusters: Sequence[tuple[str, int | None]], replicas: int, method: str = "legacy"
) -> dict[str, int]:
    """Argo CD's per-cluster shard of each cluster, given ``(id, shard field)`` pairs.

    ``id`` is the cluster Secret's UID (empty for the in-cluster destination, which
    is always shard 0); a ``shard`` field in range wins over the method.
    """
    if replicas < 1:
        raise ValueError("replicas must be at least 1")
    if method not in ("legacy", "round-robin"):
        raise ValueError(f"sharding method {method!r}: use legacy or round-robin")
    ordered = sorted(cid for cid, _ in clusters if cid)
    position = {cid: i for i, cid in enumerate(ordered)}
    out: dict[str, int] = {}
    for cid, field in clusters:
        if field is not None and 0 <= field < replicas:
            out[cid] = field
        elif not cid:
            out[cid] = 0
        elif method == "legacy":
            out[cid] = _fnv32a(cid) % replicas
        else:
            out[cid] = position[cid] % replicas
    return out


def shard_from_hostname(hostname: str) -> int | None:
    """``argocd-application-controller-2`` -> 2 (a StatefulSet's ordinal), else None."""
    m = re.search(r"-(\d+)$", hostname)
    return int(m.group(1)) if m else None
