"""The controller's dry-run cache: a write's answer is the prediction; status-only changes keep it."""

from __future__ import annotations

import copy
from typing import Any

from argosy.controller.livestate import Predictions
from argosy.kube.errors import KubeError

Obj = dict[str, Any]


class _Ops:
    """Counts dry runs; answers with desired merged over live's server fields."""

    def __init__(self, fail: bool = False) -> None:
        self.dry_runs = 0
        self.fail = fail

    def server_side_apply(self, obj: Obj, *, force: bool, dry_run: bool) -> Obj:
        assert dry_run and force
        self.dry_runs += 1
        if self.fail:
            raise KubeError("test", "admission webhook said no")
        return {**copy.deepcopy(obj), "metadata": {**obj["metadata"], "resourceVersion": "dry"}}


def _want() -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {"replicas": 2},
    }


def _live(rv: str, ready: int, replicas: int = 2) -> Obj:
    return {**_want(), "metadata": {"name": "web", "resourceVersion": rv}, "spec": {"replicas": replicas},
            "status": {"readyReplicas": ready}}  # fmt: skip


def _predictions(ops: _Ops) -> Predictions:
    return Predictions(ops)  # type: ignore[arg-type]


def test_a_learned_write_answers_the_next_compares_through_its_status_changes() -> None:
    ops = _Ops()
    p = _predictions(ops)
    p.learn(_want(), _live("5", 0))
    for rv, ready in (("5", 0), ("6", 1), ("7", 2)):
        predicted = p.predict(_want(), _live(rv, ready))
        assert predicted is not None and predicted["status"] == {"readyReplicas": ready}
    assert ops.dry_runs == 0 and p.learned == 1


def test_someone_elses_change_is_asked_again_and_cached() -> None:
    ops = _Ops()
    p = _predictions(ops)
    p.learn(_want(), _live("5", 2))
    scaled = _live("9", 2, replicas=4)
    assert p.predict(_want(), scaled) is not None
    assert p.predict(_want(), scaled) is not None
    assert ops.dry_runs == 1


def test_a_failed_dry_run_is_remembered_as_no_prediction() -> None:
    ops = _Ops(fail=True)
    p = _predictions(ops)
    assert p.predict(_want(), _live("3", 0)) is None
    assert p.predict(_want(), _live("3", 0)) is None
    assert ops.dry_runs == 1


def _named(name: str, rv: str) -> Obj:
    return {**_live(rv, 1), "metadata": {"name": name, "namespace": "ns", "resourceVersion": rv}}


def test_versions_of_one_busy_object_do_not_push_the_others_out() -> None:
    # Entries keyed by version filled their bound with old versions of the objects that change
    # and evicted the quiet ones, so a large fleet's comparisons all missed. One entry per object:
    # the quiet objects are still answered after any number of versions of a busy one.
    ops = _Ops()
    p = Predictions(ops, size=100)  # type: ignore[arg-type]
    quiet = [f"cm-{i}" for i in range(60)]
    for name in quiet:
        p.predict({**_want(), "metadata": {"name": name}}, _named(name, "1"))
    for rv in range(1, 300):
        p.predict(_want(), {**_named("busy", str(rv)), "spec": {"replicas": rv}})
    before = ops.dry_runs
    for name in quiet:
        assert p.predict({**_want(), "metadata": {"name": name}}, _named(name, "1")) is not None
    assert ops.dry_runs == before and len(p) == 61


def test_a_new_version_of_an_object_replaces_its_entry() -> None:
    ops = _Ops()
    p = _predictions(ops)
    for rv, replicas in (("1", 2), ("2", 3), ("3", 4)):
        p.predict(_want(), {**_named("web", rv), "spec": {"replicas": replicas}})
    assert ops.dry_runs == 3 and len(p) == 1
