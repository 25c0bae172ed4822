"""Two controller processes with one replica id: the member Lease names the process holding it,
the other stands by until that process is gone (at once on this host) or its Lease expired."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from argosy import procstat
from argosy.controller.sharding.instance import ProcessIdentity, ReplicaIdInUse
from argosy.controller.sharding.leases import HOLDER_PROCESS, LeaseStore, member_lease_name
from argosy.kube.errors import KubeApiError

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeLeases:
    """Just enough of the API server for the member Leases: GET, POST, PUT, DELETE by name."""

    def __init__(self) -> None:
        self.leases: dict[str, dict[str, Any]] = {}
        self.rv = 0

    def request(self, method: str, path: str, **kw: Any) -> Any:
        name = path.rsplit("/leases", 1)[1].strip("/")
        if method == "GET":
            if name not in self.leases:
                raise KubeApiError("test", "not found", status=404)
            return self.leases[name]
        if method == "DELETE":
            self.leases.pop(name, None)
            return {}
        body = kw["body"]
        self.rv += 1
        body["metadata"]["resourceVersion"] = str(self.rv)
        self.leases[body["metadata"]["name"]] = body
        return body


def _store(client: FakeLeases, identity: ProcessIdentity) -> LeaseStore:
    return LeaseStore(client, "argocd", identity)  # type: ignore[arg-type]


def _other_host(pid: int = 4242) -> ProcessIdentity:
    return ProcessIdentity("elsewhere", "another-boot", pid, "123")


def test_a_second_process_with_the_same_id_stands_by_until_the_lease_expires() -> None:
    client = FakeLeases()
    first, second = _store(client, _other_host()), _store(client, ProcessIdentity.current())
    first.renew_member("ctl", 8, 1, T0)
    with pytest.raises(ReplicaIdInUse, match=r"ctl.*standing by"):
        second.renew_member("ctl", 8, 0, T0 + timedelta(seconds=3))
    second.release_member("ctl")  # a standby stopping must not free the active one's Lease
    assert member_lease_name("ctl") in client.leases

    second.renew_member("ctl", 8, 0, T0 + timedelta(seconds=9))  # expired: taken over
    lease = client.leases[member_lease_name("ctl")]
    assert lease["metadata"]["annotations"][HOLDER_PROCESS] == ProcessIdentity.current().token()
    assert lease["spec"]["acquireTime"].startswith("2026-01-01T00:00:09")
    with pytest.raises(ReplicaIdInUse):
        first.renew_member("ctl", 8, 1, T0 + timedelta(seconds=10))


def test_a_dead_holder_on_this_host_is_replaced_at_once() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    here = ProcessIdentity.current()
    holder = ProcessIdentity(here.host, here.boot, child.pid, procstat.start_time(child.pid) or "")
    client = FakeLeases()
    _store(client, holder).renew_member("ctl", 8, 1, T0)
    try:
        with pytest.raises(ReplicaIdInUse):
            _store(client, here).renew_member("ctl", 8, 0, T0 + timedelta(seconds=1))
    finally:
        child.kill()
        child.wait()
    assert holder.gone(here)
    _store(client, here).renew_member("ctl", 8, 0, T0 + timedelta(seconds=2))  # well before expiry
    assert client.leases[member_lease_name("ctl")]["metadata"]["annotations"][HOLDER_PROCESS] == here.token()


def test_a_process_on_another_host_is_never_judged_gone_by_pid() -> None:
    here = ProcessIdentity.current()
    assert not _other_host(pid=999_999_999).gone(here)
    assert ProcessIdentity.parse(here.token()) == here
    assert ProcessIdentity.parse("garbage") is None
