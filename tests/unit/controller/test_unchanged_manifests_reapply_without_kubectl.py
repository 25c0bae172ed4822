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


class _DryRunOps(_Ops):
    """Records the dry runs: a create for an absent object, a server-side apply otherwise."""

    def __init__(self, exists: bool = False) -> None:
        super().__init__()
        self.exists = exists
        self.calls: list[str] = []

    def create_client_side(self, obj: Obj, *, validate: bool = True, dry_run: bool = False) -> Obj:
        self.calls.append(f"create dry_run={dry_run} validate={validate}")
        if self.exists:
            raise KubeApiError("test", "already exists", status=409, reason="AlreadyExists")
        return with_last_applied(obj)

    def server_side_apply(self, obj: Obj, *, force: bool, dry_run: bool) -> Obj:
        self.calls.append(f"apply dry_run={dry_run}")
        return obj


def test_the_dry_run_of_a_new_object_is_the_create_it_will_be() -> None:
    ops, kubectl, learned = _DryRunOps(), _Kubectl(), []
    port = _port(ops, kubectl, learned)
    message = port.apply(
        _manifest(), mode=ApplyMode.CLIENT_SIDE, dry_run=True, force=False, validate=False, live=None
    )
    assert message.endswith("created (server dry run)")
    assert ops.calls == ["create dry_run=True validate=False"] and learned == [] and kubectl.applied == []


def test_a_dry_run_create_that_finds_the_object_dry_runs_the_apply() -> None:
    ops, kubectl, learned = _DryRunOps(exists=True), _Kubectl(), []
    port = _port(ops, kubectl, learned)
    port.apply(_manifest(), mode=ApplyMode.CLIENT_SIDE, dry_run=True, force=False, validate=True, live=None)
    assert ops.calls == ["create dry_run=True validate=True", "apply dry_run=True"]
    live = _live(_manifest(), replicas=1)
    ops.calls.clear()
    port.apply(_manifest(), mode=ApplyMode.CLIENT_SIDE, dry_run=True, force=False, validate=True, live=live)
    assert ops.calls == ["apply dry_run=True"], "an existing object: the apply's dry run, as before"
