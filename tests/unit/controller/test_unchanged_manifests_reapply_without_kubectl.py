"""The sync's cluster port runs kubectl only when a three-way merge is needed: new objects are
created and unchanged manifests (self-heal) re-applied with one request each; a changed
manifest, a forced apply, or a re-apply the API server refuses goes to kubectl."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import pytest

from argosy.controller.operation.kubeport import KubeClusterPort
from argosy.engine.keys import ResourceKey
from argosy.engine.sync import ApplyMode
from argosy.engine.sync.apply_mode import with_last_applied
from argosy.kube.apply import ObjectResult
from argosy.kube.errors import KubeApiError

Obj = dict[str, Any]


def _manifest(replicas: int = 1) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "ns"},
        "spec": {"replicas": replicas},
    }


def _live(applied: Obj, *, replicas: int, rv: str = "7") -> Obj:
    live = with_last_applied(applied)
    live["metadata"]["resourceVersion"] = rv
    live["spec"] = {"replicas": replicas}
    return live


class _Ops:
    def __init__(self, refuse: int = 0) -> None:
        self.reapplied: list[Obj] = []
        self.refuse = refuse

    def reapply_client_side(self, obj: Obj, *, validate: bool = True) -> Obj:
        if self.refuse:
            raise KubeApiError("test", "refused", status=self.refuse, reason="Invalid")
        self.reapplied.append(copy.deepcopy(obj))
        out = with_last_applied(obj)
        out["metadata"]["resourceVersion"] = "8"
        return out


class _Kubectl:
    def __init__(self) -> None:
        self.applied: list[Obj] = []

    def apply(
        self, objects: Sequence[Obj], *, validate: bool = True, force: bool = False
    ) -> list[ObjectResult]:
        self.applied.extend(copy.deepcopy(list(objects)))
        return [
            ObjectResult(ResourceKey.of(o), {**o, "metadata": {**o["metadata"], "resourceVersion": "9"}})
            for o in objects
        ]


def _port(ops: _Ops, kubectl: _Kubectl, learned: list[Obj]) -> KubeClusterPort:
    return KubeClusterPort(
        client=None,  # type: ignore[arg-type]  # every write goes through the fakes
        ops=ops,  # type: ignore[arg-type]
        kubectl=kubectl,  # type: ignore[arg-type]
        learn=lambda desired, applied: learned.append(applied),
    )


def test_self_heal_of_an_unchanged_manifest_is_one_request_and_is_learned() -> None:
    ops, kubectl, learned = _Ops(), _Kubectl(), []
    port = _port(ops, kubectl, learned)
    live = _live(_manifest(), replicas=3)  # someone scaled it
    message = port.apply(
        _manifest(), mode=ApplyMode.CLIENT_SIDE, dry_run=False, force=False, validate=True, live=live
    )
    assert "configured" in message
    assert [o["spec"] for o in ops.reapplied] == [{"replicas": 1}] and kubectl.applied == []
    assert len(learned) == 1  # the compare after the sync needs no dry run


def test_a_changed_manifest_or_force_needs_kubectls_three_way_merge() -> None:
    ops, kubectl, learned = _Ops(), _Kubectl(), []
    port = _port(ops, kubectl, learned)
    live = _live(_manifest(replicas=1), replicas=1)
    port.apply(
        _manifest(replicas=2),
        mode=ApplyMode.CLIENT_SIDE,
        dry_run=False,
        force=False,
        validate=True,
        live=live,
    )
    port.apply(_manifest(), mode=ApplyMode.CLIENT_SIDE, dry_run=False, force=True, validate=True, live=live)
    assert ops.reapplied == [] and len(kubectl.applied) == 2


@pytest.mark.parametrize("status", [400, 409, 415, 422])
def test_a_refused_reapply_is_left_to_kubectl_to_report(status: int) -> None:
    ops, kubectl, learned = _Ops(refuse=status), _Kubectl(), []
    port = _port(ops, kubectl, learned)
    live = _live(_manifest(), replicas=3)
    outcomes = port.apply_many([_manifest()], force=False, validate=True, lives=[live])
    assert len(kubectl.applied) == 1 and isinstance(outcomes[0], str)


def test_a_sync_of_a_commit_sends_only_the_changed_objects_to_kubectl() -> None:
    ops, kubectl, learned = _Ops(), _Kubectl(), []
    port = _port(ops, kubectl, learned)
    same = _manifest()
    changed = {**_manifest(replicas=4), "metadata": {"name": "api", "namespace": "ns"}}
    lives = [_live(same, replicas=1), _live({**changed, "spec": {"replicas": 1}}, replicas=1)]
    outcomes = port.apply_many([same, changed], force=False, validate=True, lives=lives)
    assert all(isinstance(o, str) for o in outcomes)
    assert [o["metadata"]["name"] for o in ops.reapplied] == ["web"]
    assert [o["metadata"]["name"] for o in kubectl.applied] == ["api"]
