"""A delete acts on the object it judged: a takeover between the read and the delete keeps it.

An app renamed by delete+create: the old app's cascade reads an object it
tracks, the new app's sync re-labels that object, then the old app's DELETE
arrives. A UID precondition alone let it through (same incarnation) and the
new app lost its object; the resourceVersion precondition makes the API
server refuse, and the decision is made again on the fresh object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from operation_fakes import FakeApp, FakeClock, FakeCluster, application, cm, config, key_of

from argosy.controller.operation.ownership import Deleted, DeleteReason, Ownership, delete_owned
from argosy.engine.sync import PropagationPolicy


class TakeoverCluster(FakeCluster):
    """Between the first read of ``name`` and its delete, app ``new`` applies it (re-labels it)."""

    def __init__(self, clock: FakeClock, name: str, *, changes: int = 1) -> None:
        super().__init__(clock)
        self.name = name
        self.changes = changes

    def get(self, obj: Mapping[str, Any]) -> dict[str, Any] | None:
        live = super().get(obj)
        if live is not None and key_of(obj)[3] == self.name and self.changes:
            self.changes -= 1
            self.apply(cm(self.name, owner="new"), mode=None, dry_run=False, force=False, validate=True)  # type: ignore[arg-type]
        return live


def put(cluster: FakeCluster, obj: dict[str, Any]) -> str:
    cluster.apply(obj, mode=None, dry_run=False, force=False, validate=True)  # type: ignore[arg-type]
    return str(cluster.objects[key_of(obj)]["metadata"]["uid"])


def delete_as_shop(cluster: FakeCluster, name: str) -> Deleted:
    app = application(name="shop")
    outcome = delete_owned(
        cluster,
        FakeApp(app),
        cm(name),
        Ownership.of(app, config(cluster.clock)),
        why=DeleteReason.CASCADE,
        propagation=PropagationPolicy.FOREGROUND,
    )
    return outcome.result


def test_an_object_taken_over_between_read_and_delete_is_kept() -> None:
    cluster = TakeoverCluster(FakeClock(), "settings")
    uid = put(cluster, cm("settings", owner="shop"))

    assert delete_as_shop(cluster, "settings") is Deleted.SKIPPED

    live = cluster.objects[key_of(cm("settings"))]
    assert live["metadata"]["uid"] == uid
    assert live["metadata"]["labels"]["app.kubernetes.io/instance"] == "new"


def test_an_object_changed_but_still_owned_is_deleted_on_the_fresh_decision() -> None:
    cluster = TakeoverCluster(FakeClock(), "other")  # only "other" is touched meanwhile
    put(cluster, cm("settings", owner="shop"))

    assert delete_as_shop(cluster, "settings") is Deleted.DELETED
    assert key_of(cm("settings")) not in cluster.objects


def test_a_delete_retries_when_its_own_object_changed_meanwhile() -> None:
    class Busy(FakeCluster):
        """Something (a status update) bumps the resourceVersion after each of two reads."""

        bumps = 2

        def get(self, obj: Mapping[str, Any]) -> dict[str, Any] | None:
            live = super().get(obj)
            if live is not None and self.bumps:
                self.bumps -= 1
                self.apply(cm("settings", owner="shop"), mode=None, dry_run=False, force=False, validate=True)  # type: ignore[arg-type]
            return live

    cluster = Busy(FakeClock())
    put(cluster, cm("settings", owner="shop"))

    assert delete_as_shop(cluster, "settings") is Deleted.DELETED
    assert key_of(cm("settings")) not in cluster.objects
