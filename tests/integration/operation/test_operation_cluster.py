"""The sync runner against the real local control plane (kube-apiserver, controllers, kwok).

Under kwok, Pods of Jobs run and complete, so hook Jobs succeed; a Job fails
for real when its Pod can never be scheduled (a nodeSelector no node has) and
its ``activeDeadlineSeconds`` passes: the Job controller marks it Failed
(``DeadlineExceeded``), which its health reports as Degraded.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from argosy.controller.operation import OperationRunner, RunnerConfig, resume_revision
from argosy.controller.operation.kubeport import KubeAppPort, KubeClusterPort
from argosy.controller.operation.state import parse_timestamp
from argosy.engine.sync import PropagationPolicy
from argosy.engine.tracking import TrackingSettings, set_tracking
from argosy.kube.clients import KubeClient
from argosy.settings.clusters import in_cluster_config
from support.cluster import ClusterHandle
from support.crds import install_crds

REVISION = "4f2a9c1d0e8b7a6f5e4d3c2b1a0f9e8d7c6b5a49"
SOURCE = {"repoURL": "https://git.example/shop.git", "path": "deploy", "targetRevision": "main"}


class Crash(BaseException):
    """The controller process dies (nothing in the runner may catch it)."""


@pytest.fixture(scope="module")
def crds(cluster: ClusterHandle) -> ClusterHandle:
    install_crds(cluster)
    return cluster


@pytest.fixture
def client(crds: ClusterHandle) -> Iterator[KubeClient]:
    c = KubeClient(in_cluster_config(crds.kubeconfig))
    yield c
    c.close()


def make_app(cluster: ClusterHandle, namespace: str, operation: Mapping[str, Any] | None = None) -> str:
    name = f"shop-{uuid.uuid4().hex[:6]}"
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "project": "default",
            "source": SOURCE,
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        },
        "operation": dict(
            operation or {"sync": {"revision": REVISION}, "initiatedBy": {"username": "alice"}}
        ),
    }
    cluster.kubectl("create", "-f", "-", stdin=json.dumps(app))
    return name


def config(namespace: str, **kw: Any) -> RunnerConfig:
    """The apps live in the test namespace, which plays the control-plane namespace."""
    return RunnerConfig(
        wave_delay=0.2, poll_interval=0.2, wait_timeout=90, control_plane_namespace=namespace, **kw
    )


def tracked(app: str, objs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The objects as the controller hands them over: carrying the app's tracking label."""
    return [set_tracking(o, app, TrackingSettings()) for o in objs]


def job(name: str, namespace: str, hook: str, *, policy: str = "", fail: bool = False) -> dict[str, Any]:
    notes = {"argocd.argoproj.io/hook": hook}
    if policy:
        notes["argocd.argoproj.io/hook-delete-policy"] = policy
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "containers": [{"name": "run", "image": "busybox:1.36", "command": ["true"]}],
    }
    spec: dict[str, Any] = {"backoffLimit": 0, "template": {"spec": pod}}
    if fail:
        pod["nodeSelector"] = {"argosy.test/no-such-node": "true"}
        spec["activeDeadlineSeconds"] = 2
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "annotations": notes},
        "spec": spec,
    }


def configmap(name: str, namespace: str, wave: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "annotations": {"argocd.argoproj.io/sync-wave": str(wave)},
        },
        "data": {"color": "blue"},
    }


def deployment(name: str, namespace: str, replicas: Any = 1) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def ordered_app(namespace: str) -> list[dict[str, Any]]:
    return [
        job("post", namespace, "PostSync"),
        deployment("web", namespace),
        configmap("settings", namespace, -1),
        job("migrate", namespace, "PreSync", policy="HookSucceeded"),
    ]


def run(client: KubeClient, namespace: str, name: str, desired: list[dict[str, Any]]) -> dict[str, Any]:
    port = KubeAppPort(client, namespace, name)
    runner = OperationRunner(KubeClusterPort(client), port, config(namespace))
    return runner.run(port.read(), tracked(name, desired), [], REVISION, SOURCE)


def by_name(state: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in state["syncResult"]["resources"]}


def at(entry: Mapping[str, Any], field: str) -> float:
    return parse_timestamp(str(entry[field])).timestamp()


def live(cluster: ClusterHandle, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
    proc = cluster.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def test_presync_wave_minus_one_wave_zero_postsync_in_order(
    crds: ClusterHandle, client: KubeClient, namespace: str
) -> None:
    name = make_app(crds, namespace)
    state = run(client, namespace, name, ordered_app(namespace))

    assert state["phase"] == "Succeeded", state["message"]
    r = by_name(state)
    assert at(r["migrate"], "finishedAt") <= at(r["settings"], "startedAt")
    assert at(r["settings"], "finishedAt") <= at(r["web"], "startedAt")
    assert at(r["web"], "finishedAt") <= at(r["post"], "startedAt")
    assert r["migrate"]["hookPhase"] == r["post"]["hookPhase"] == "Succeeded"
    assert r["web"]["hookPhase"] == "Succeeded"  # waited until healthy before PostSync
    # the stored Application says the same, the operation is cleared, history has the sync
    stored = KubeAppPort(client, namespace, name).read()
    assert stored["status"]["operationState"]["phase"] == "Succeeded"
    assert "operation" not in stored
    assert [h["revision"] for h in stored["status"]["history"]] == [REVISION]
    # HookSucceeded hook deleted, the other kept
    assert live(crds, "job", namespace, "migrate") is None
    assert live(crds, "job", namespace, "post") is not None
    reasons = crds.kubectl(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        f"involvedObject.name={name}",
        "-o",
        "jsonpath={.items[*].reason}",
    ).stdout.split()
    assert "OperationStarted" in reasons and "OperationCompleted" in reasons


def test_failing_presync_hook_runs_syncfail_and_applies_nothing_else(
    crds: ClusterHandle, client: KubeClient, namespace: str
) -> None:
    name = make_app(crds, namespace)
    desired = [
        job("migrate", namespace, "PreSync", fail=True),
        job("cleanup", namespace, "SyncFail"),
        configmap("settings", namespace, 0),
        deployment("web", namespace),
    ]
    state = run(client, namespace, name, desired)

    assert state["phase"] == "Failed"
    assert state["message"].startswith("one or more synchronization tasks completed unsuccessfully")
    assert "DeadlineExceeded" in state["message"] or "deadline" in state["message"].lower()
    r = by_name(state)
    assert r["migrate"]["hookPhase"] == "Failed"
    assert r["cleanup"]["hookPhase"] == "Succeeded"
    assert set(r) == {"migrate", "cleanup"}
    assert live(crds, "configmap", namespace, "settings") is None
    assert live(crds, "deployment", namespace, "web") is None


def test_before_hook_creation_replaces_the_old_hook(
    crds: ClusterHandle, client: KubeClient, namespace: str
) -> None:
    desired = [job("migrate", namespace, "PreSync"), configmap("settings", namespace, 0)]
    name = make_app(crds, namespace)
    first = run(client, namespace, name, desired)
    assert first["phase"] == "Succeeded", first["message"]
    old = live(crds, "job", namespace, "migrate")
    assert old is not None

    again = {"operation": {"sync": {"revision": REVISION}, "initiatedBy": {"username": "alice"}}}
    crds.kubectl("patch", "application", name, "-n", namespace, "--type=merge", "-p", json.dumps(again))
    second = run(client, namespace, name, desired)
    assert second["phase"] == "Succeeded", second["message"]
    new = live(crds, "job", namespace, "migrate")
    assert new is not None
    assert new["metadata"]["uid"] != old["metadata"]["uid"]


def test_malformed_manifest_fails_the_dry_run_and_leaves_live_untouched(
    crds: ClusterHandle, client: KubeClient, namespace: str
) -> None:
    crds.kubectl("apply", "-f", "-", stdin=json.dumps(configmap("settings", namespace, 0)))
    before = live(crds, "configmap", namespace, "settings")
    changed = configmap("settings", namespace, 0)
    changed["data"] = {"color": "red"}
    desired = [changed, deployment("web", namespace, replicas="two"), job("migrate", namespace, "PreSync")]

    state = run(client, namespace, make_app(crds, namespace), desired)

    assert state["phase"] == "Failed"
    assert state["message"] == "one or more objects failed to apply (dry run)"
    failed = [r for r in state["syncResult"]["resources"] if r["status"] == "SyncFailed"]
    assert [r["name"] for r in failed] == ["web"]
    assert "replicas" in failed[0]["message"]
    after = live(crds, "configmap", namespace, "settings")
    assert after is not None and before is not None
    assert after["data"] == {"color": "blue"}
    assert after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
    assert live(crds, "job", namespace, "migrate") is None


class CrashingAppPort(KubeAppPort):
    """Dies on the first status write made while the PreSync hook runs (mid-wave)."""

    def __init__(self, client: KubeClient, namespace: str, name: str) -> None:
        super().__init__(client, namespace, name)
        self.crashed = False

    def patch_status(self, partial_status: Mapping[str, Any], *, clear_operation: bool = False) -> None:
        state = partial_status.get("operationState") or {}
        hooks = [r for r in state.get("syncResult", {}).get("resources", []) if r.get("name") == "migrate"]
        if hooks and hooks[0].get("status") == "Synced" and hooks[0].get("hookPhase") == "Running":
            self.crashed = True
            raise Crash()
        super().patch_status(partial_status, clear_operation=clear_operation)


def test_resume_after_a_crash_mid_wave_finishes_without_duplicate_hooks(
    crds: ClusterHandle, client: KubeClient, namespace: str
) -> None:
    reference = run(client, namespace, make_app(crds, namespace), ordered_app(namespace))
    assert reference["phase"] == "Succeeded", reference["message"]
    crds.kubectl("delete", "job", "post", "-n", namespace, "--wait=true")

    name = make_app(crds, namespace)
    crashing = CrashingAppPort(client, namespace, name)
    with pytest.raises(Crash):
        OperationRunner(KubeClusterPort(client), crashing, config(namespace)).run(
            crashing.read(), tracked(name, ordered_app(namespace)), [], REVISION, SOURCE
        )
    hook = live(crds, "job", namespace, "migrate")
    assert hook is not None, "the crash happened after the hook was created"
    stored = KubeAppPort(client, namespace, name).read()
    assert stored["status"]["operationState"]["phase"] == "Running"

    port = KubeAppPort(client, namespace, name)  # a new controller process
    revision = resume_revision(stored)
    assert revision == REVISION
    cluster_port = RecordingClusterPort(client)
    state = OperationRunner(cluster_port, port, config(namespace)).run(
        stored, tracked(name, ordered_app(namespace)), [], revision, SOURCE
    )

    assert state["phase"] == "Succeeded", state["message"]
    assert state["startedAt"] == stored["status"]["operationState"]["startedAt"]
    assert shape(state) == shape(reference)
    # the hook created before the crash is the one that ran and was deleted at the end (HookSucceeded)
    deletes = [(verb, uid) for verb, n, uid in cluster_port.calls if n == "migrate" and verb == "delete"]
    assert deletes == [("delete", hook["metadata"]["uid"])]
    started = crds.kubectl(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        f"involvedObject.name={name},reason=OperationStarted",
        "-o",
        "name",
    ).stdout.split()
    assert len(started) == 1


def shape(s: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    return sorted(
        (r["syncPhase"], r["name"], r["status"], r.get("hookPhase", "")) for r in s["syncResult"]["resources"]
    )


class RecordingClusterPort(KubeClusterPort):
    """Records deletes with the uid of what was deleted."""

    def __init__(self, client: KubeClient) -> None:
        super().__init__(client)
        self.calls: list[tuple[str, str, str]] = []

    def delete(
        self,
        obj: Mapping[str, Any],
        *,
        propagation: PropagationPolicy,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> None:
        found = self.get(obj)
        live_uid = str((found or {}).get("metadata", {}).get("uid") or "")
        self.calls.append(("delete", str(obj["metadata"]["name"]), live_uid))
        super().delete(obj, propagation=propagation, uid=uid, resource_version=resource_version)


class TerminatingAppPort(KubeAppPort):
    """A user runs terminate-op (sets phase Terminating on the stored app) once the hook runs."""

    def __init__(self, cluster: ClusterHandle, client: KubeClient, namespace: str, name: str) -> None:
        super().__init__(client, namespace, name)
        self.cluster = cluster
        self.done = False

    def operation_phase(self) -> str | None:
        if not self.done and live(self.cluster, "job", self.namespace, "migrate") is not None:
            self.done = True
            patch = {"status": {"operationState": {"phase": "Terminating"}}}
            self.cluster.kubectl(
                "patch",
                "applications.argoproj.io",
                self.name,
                "-n",
                self.namespace,
                "--type",
                "merge",
                "-p",
                json.dumps(patch),
            )
        return super().operation_phase()


def test_terminate_stops_the_operation_and_deletes_the_running_hook(
    crds: ClusterHandle, client: KubeClient, namespace: str
) -> None:
    name = make_app(crds, namespace)
    stuck = job("migrate", namespace, "PreSync", fail=True)
    del stuck["spec"]["activeDeadlineSeconds"]  # unschedulable: runs until terminated
    port = TerminatingAppPort(crds, client, namespace, name)
    state = OperationRunner(KubeClusterPort(client), port, config(namespace)).run(
        port.read(), tracked(name, [stuck, configmap("settings", namespace, 0)]), [], REVISION, SOURCE
    )
    assert (state["phase"], state["message"]) == ("Failed", "Operation terminated")
    assert by_name(state)["migrate"]["message"] == "Terminated"
    stored = port.read()
    assert stored["status"]["operationState"]["phase"] == "Failed"
    assert live(crds, "configmap", namespace, "settings") is None
    gone = crds.kubectl("wait", "--for=delete", "job/migrate", "-n", namespace, "--timeout=60s", check=False)
    assert gone.returncode == 0, gone.stderr
