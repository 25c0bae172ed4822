"""compare_app: per-resource and app sync status, health, pruning, hooks and conditions."""

from __future__ import annotations

import copy
from typing import Any

from argosy.appstate.compare import OUT_OF_SYNC, SYNCED, compare_app
from argosy.appstate.settings import ControllerSettings
from argosy.engine.health import HealthStatusCode
from argosy.engine.sync import ResourceKey

APP: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "guestbook", "namespace": "argocd"},
    "spec": {
        "project": "default",
        "destination": {"server": "https://kubernetes.default.svc", "namespace": "web"},
    },
}
SETTINGS = ControllerSettings.from_configmap_data({})
CLUSTER_SCOPED = {("", "Namespace"), ("rbac.authorization.k8s.io", "ClusterRole")}


def namespaced(group: str, kind: str) -> bool:
    return (group, kind) not in CLUSTER_SCOPED


def cm(name: str, data: dict[str, str], **meta: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, **meta}, "data": data}


def live_of(obj: dict[str, Any], namespace: str = "web", instance: str = "guestbook") -> dict[str, Any]:
    live = copy.deepcopy(obj)
    meta = live["metadata"]
    meta.setdefault("namespace", namespace)
    meta.setdefault("labels", {})["app.kubernetes.io/instance"] = instance
    meta.update(uid="u-1", resourceVersion="7", creationTimestamp="2026-01-01T00:00:00Z")
    return live


def run(
    desired: list[dict[str, Any]], live: list[dict[str, Any]], others: list[dict[str, Any]] | None = None
):  # type: ignore[no-untyped-def]
    tracked = {ResourceKey.of(o): o for o in live}
    every = {ResourceKey.of(o): o for o in [*live, *(others or [])]}
    return compare_app(APP, desired, tracked, every.get, SETTINGS, namespaced)


def test_identical_objects_are_synced_and_namespace_defaults_to_destination() -> None:
    desired = [cm("a", {"k": "v"})]
    result = run(desired, [live_of(desired[0])])
    assert result.sync_status == SYNCED
    [res] = result.resources
    assert res.key == ResourceKey("", "ConfigMap", "web", "a")
    assert res.to_status() == {
        "version": "v1",
        "kind": "ConfigMap",
        "namespace": "web",
        "name": "a",
        "status": "Synced",
    }


def test_changed_field_is_out_of_sync_with_its_path() -> None:
    desired = [cm("a", {"k": "v"})]
    live = live_of(cm("a", {"k": "changed"}))
    result = run(desired, [live])
    assert result.sync_status == OUT_OF_SYNC
    assert result.resources[0].to_status()["diff"] == ["/data/k"]


def test_missing_object_is_out_of_sync_and_missing() -> None:
    result = run([cm("a", {})], [])
    assert result.sync_status == OUT_OF_SYNC
    assert result.resources[0].health is not None
    assert result.resources[0].health.status == HealthStatusCode.MISSING
    # A ConfigMap has no health check, so its absence does not make the app Missing (as Argo CD)...
    assert result.health == HealthStatusCode.HEALTHY
    # ...but a missing Deployment does.
    deploy = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}}
    assert run([deploy], []).health == HealthStatusCode.MISSING


def test_tracked_object_not_in_git_requires_pruning_unless_ignore_extraneous() -> None:
    extra = live_of(cm("old", {}))
    result = run([], [extra])
    assert result.sync_status == OUT_OF_SYNC
    assert result.resources[0].requires_pruning and result.prunable() == [extra]
    extra["metadata"]["annotations"] = {"argocd.argoproj.io/compare-options": "IgnoreExtraneous"}
    assert run([], [extra]).sync_status == SYNCED


def test_objects_owned_by_a_controller_are_not_pruned() -> None:
    pod = live_of(
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p", "ownerReferences": [{"kind": "ReplicaSet"}]},
        }
    )
    assert run([], [pod]).resources == []


def test_hooks_are_not_compared() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "migrate", "annotations": {"argocd.argoproj.io/hook": "PreSync"}},
        "spec": {},
    }
    result = run([job], [])
    assert result.sync_status == SYNCED
    assert result.resources[0].hook and result.resources[0].to_status()["hook"] is True


def test_cluster_scoped_objects_lose_the_destination_namespace() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "web"}}
    result = run([ns], [])
    assert result.resources[0].key == ResourceKey("", "Namespace", "", "web")


def test_repeated_and_shared_resources_are_conditions() -> None:
    desired = [cm("a", {}), cm("a", {})]
    other = live_of(cm("a", {}), instance="someone-else")
    result = run(desired, [], others=[other])
    types = [c["type"] for c in result.conditions]
    assert "RepeatedResourceWarning" in types and "SharedResourceWarning" in types


def test_secret_values_never_reach_status() -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "data": {"password": "c2VjcmV0"},
    }
    live = live_of({**secret, "data": {"password": "b3RoZXI="}})
    entry = run([secret], [live]).resources[0].to_status()
    assert entry["status"] == OUT_OF_SYNC
    assert "c2VjcmV0" not in repr(entry) and "b3RoZXI=" not in repr(entry)


def test_endpoints_of_a_desired_service_are_not_pruned() -> None:
    svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}, "spec": {}}
    endpoints = live_of({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "web"}})
    result = run([svc], [live_of(svc), endpoints])
    assert [r.key.kind for r in result.resources] == ["Service"]
    orphan = live_of({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "gone"}})
    assert run([svc], [live_of(svc), orphan]).prunable() == [orphan]
