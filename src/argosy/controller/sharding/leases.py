"""The Kubernetes objects behind application sharding (no external store).

* one ``coordination.k8s.io/v1`` Lease per replica, ``argosy-controller-<id>``,
  labelled ``argosy.io/controller-shard: member``: renewed every few seconds;
  its annotation ``argosy.io/applied-epoch`` says which assignment the replica
  has applied (released what it lost), ``argosy.io/holder-process`` which
  process holds it (:mod:`.instance`: a second process with the same id stands by);
* the leader Lease ``argosy-controller-shard-leader`` (holder = a replica id);
* the ConfigMap ``argosy-controller-shards``: the assignment record (``epoch``,
  ``members``, ``owners`` — one character per bucket), written by the leader
  with a resourceVersion precondition, so two leaders can never both win.

Expiry is judged from ``renewTime`` against the local clock (replicas of one
installation share a clock source through NTP; the margin in the coordinator
absorbs small skew).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argosy.controller.sharding.instance import ProcessIdentity, ReplicaIdInUse
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeApiError

LEASES = "/apis/coordination.k8s.io/v1/namespaces/{ns}/leases"
CONFIGMAPS = "/api/v1/namespaces/{ns}/configmaps"
MEMBER_LABEL = "argosy.io/controller-shard"
APPLIED_EPOCH = "argosy.io/applied-epoch"
HOLDER_PROCESS = "argosy.io/holder-process"
LEADER_LEASE = "argosy-controller-shard-leader"
RECORD = "argosy-controller-shards"
Obj = dict[str, Any]


def _micro(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime | None:
    for fmt in ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except (TypeError, ValueError):
            continue
    return None


@dataclass(frozen=True)
class Member:
    id: str
    renewed: datetime
    duration: float
    applied_epoch: int

    def alive(self, now: datetime) -> bool:
        return now - self.renewed < timedelta(seconds=self.duration)


@dataclass(frozen=True)
class Record:
    epoch: int
    members: tuple[str, ...]
    owners: str  # engine.sharding.encode(...)
    resource_version: str = ""


def member_lease_name(replica: str) -> str:
    return f"argosy-controller-{replica}"


class LeaseStore:
    """Reads and writes the sharding objects in the control-plane namespace."""

    def __init__(self, client: KubeClient, namespace: str, identity: ProcessIdentity | None = None) -> None:
        self.client = client
        self.namespace = namespace
        self.identity = identity or ProcessIdentity.current()

    def _lease_path(self, name: str = "") -> str:
        base = LEASES.format(ns=self.namespace)
        return f"{base}/{name}" if name else base

    def _upsert_lease(self, name: str, spec: Obj, labels: Obj, annotations: Obj, rv: str | None) -> None:
        body: Obj = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": labels,
                "annotations": annotations,
            },
            "spec": spec,
        }
        if rv is None:
            self.client.request("POST", self._lease_path(), body=body, kind="Lease", verb="create")
        else:
            body["metadata"]["resourceVersion"] = rv
            self.client.request("PUT", self._lease_path(name), body=body, kind="Lease", verb="update")

    def _get(self, path: str) -> Obj | None:
        try:
            found: Obj = self.client.request("GET", path, verb="get")
            return found
        except KubeApiError as exc:
            if exc.not_found:
                return None
            raise

    # ------------------------------------------------------------ members
    def renew_member(self, replica: str, duration: float, applied_epoch: int, now: datetime) -> None:
        """Renew (or take) ``replica``'s member Lease for this process.

        Raises :class:`ReplicaIdInUse` while another live process holds it (see
        :mod:`.instance`): that process reconciles, this one stands by."""
        name = member_lease_name(replica)
        current = self._get(self._lease_path(name))
        rv = None if current is None else str(current["metadata"].get("resourceVersion") or "")
        mine = self.identity.token()
        acquired = (current or {}).get("spec", {}).get("acquireTime") or _micro(now)
        if current is not None:
            holder = str((current["metadata"].get("annotations") or {}).get(HOLDER_PROCESS) or "")
            if holder and holder != mine:
                if self._held(current, now) and not self._holder_gone(holder):
                    raise ReplicaIdInUse(replica, holder)
                acquired = _micro(now)  # taken over from an expired or exited holder
        spec = {
            "holderIdentity": replica,
            "leaseDurationSeconds": max(1, round(duration)),
            "renewTime": _micro(now),
            "acquireTime": acquired,
        }
        annotations = {APPLIED_EPOCH: str(applied_epoch), HOLDER_PROCESS: mine}
        self._upsert_lease(name, spec, {MEMBER_LABEL: "member"}, annotations, rv)

    @staticmethod
    def _held(lease: Obj, now: datetime) -> bool:
        spec = lease.get("spec") or {}
        renewed = _parse(str(spec.get("renewTime") or ""))
        duration = timedelta(seconds=float(spec.get("leaseDurationSeconds") or 0))
        return renewed is not None and now - renewed < duration

    def _holder_gone(self, holder: str) -> bool:
        other = ProcessIdentity.parse(holder)
        return other is not None and other.gone(self.identity)

    def members(self) -> list[Member]:
        """Every member Lease (alive or not), read fresh from the API server."""
        found = self.client.request(
            "GET", self._lease_path(), query={"labelSelector": f"{MEMBER_LABEL}=member"}, verb="list"
        )
        out = []
        for item in (found or {}).get("items") or []:
            spec, meta = item.get("spec") or {}, item.get("metadata") or {}
            renewed = _parse(str(spec.get("renewTime") or ""))
            if renewed is None or not spec.get("holderIdentity"):
                continue
            try:
                applied = int((meta.get("annotations") or {}).get(APPLIED_EPOCH) or 0)
            except ValueError:
                applied = 0
            out.append(
                Member(
                    str(spec["holderIdentity"]),
                    renewed,
                    float(spec.get("leaseDurationSeconds") or 0),
                    applied,
                )
            )
        return out

    def release_member(self, replica: str) -> None:
        """Delete the replica's Lease on a clean stop, so its apps move at once — only when this
        process holds it: a standby with the same id stopping must not free the active one's Lease."""
        path = self._lease_path(member_lease_name(replica))
        current = self._get(path)
        if current is None:
            return
        meta = current["metadata"]
        holder = str((meta.get("annotations") or {}).get(HOLDER_PROCESS) or "")
        if holder and holder != self.identity.token():
            return
        precondition = {"preconditions": {"resourceVersion": meta.get("resourceVersion")}}
        try:
            self.client.request("DELETE", path, body=precondition, verb="delete")
        except KubeApiError as exc:
            if not (exc.not_found or exc.conflict):
                raise

    # ------------------------------------------------------------- leader
    def try_lead(self, replica: str, duration: float, now: datetime) -> bool:
        """Acquire or renew the leader Lease; True when ``replica`` holds it."""
        current = self._get(self._lease_path(LEADER_LEASE))
        spec = {
            "holderIdentity": replica,
            "leaseDurationSeconds": max(1, round(duration)),
            "renewTime": _micro(now),
        }
        try:
            if current is None:
                self._upsert_lease(LEADER_LEASE, {**spec, "acquireTime": _micro(now)}, {}, {}, None)
                return True
            held = current.get("spec") or {}
            renewed = _parse(str(held.get("renewTime") or ""))
            expired = renewed is None or now - renewed >= timedelta(
                seconds=float(held.get("leaseDurationSeconds") or 0)
            )
            if held.get("holderIdentity") != replica and not expired:
                return False
            acquire = held.get("acquireTime") if held.get("holderIdentity") == replica else _micro(now)
            rv = str(current["metadata"].get("resourceVersion") or "")
            self._upsert_lease(LEADER_LEASE, {**spec, "acquireTime": acquire}, {}, {}, rv)
            return True
        except KubeApiError as exc:
            if exc.conflict:
                return False  # another replica won the race
            raise

    # ------------------------------------------------------------- record
    def read_record(self) -> Record | None:
        cm = self._get(f"{CONFIGMAPS.format(ns=self.namespace)}/{RECORD}")
        if cm is None:
            return None
        data = cm.get("data") or {}
        try:
            return Record(
                int(data.get("epoch") or 0),
                tuple(json.loads(data.get("members") or "[]")),
                str(data.get("owners") or ""),
                str(cm["metadata"].get("resourceVersion") or ""),
            )
        except ValueError as exc:
            raise ValueError(
                f"ConfigMap {self.namespace}/{RECORD}: malformed sharding record: {exc}"
            ) from exc

    def write_record(self, record: Record, previous: Record | None) -> bool:
        """Write ``record`` if the stored one is still ``previous``; False on a lost race."""
        body: Obj = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": RECORD, "namespace": self.namespace},
            "data": {
                "epoch": str(record.epoch),
                "members": json.dumps(list(record.members)),
                "owners": record.owners,
            },
        }
        base = CONFIGMAPS.format(ns=self.namespace)
        try:
            if previous is None:
                self.client.request("POST", base, body=body, verb="create", kind="ConfigMap")
            else:
                body["metadata"]["resourceVersion"] = previous.resource_version
                self.client.request("PUT", f"{base}/{RECORD}", body=body, verb="update", kind="ConfigMap")
        except KubeApiError as exc:
            if exc.conflict:
                return False
            raise
        return True
