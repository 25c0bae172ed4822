"""Through the running controller: hook and wave order, SyncFail, hook delete policies.

The manifests come from a Git repository, the sync is requested as the CLI
and API request it (the ``operation`` field), and everything else is the
controller's doing. Under kwok, hook Jobs complete; a Job whose Pod can never
be scheduled fails once its ``activeDeadlineSeconds`` passes.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from argosy.controller.operation.state import parse_timestamp
from support.cluster import ClusterHandle
from support.controller import RunningController, operation_state
from support.gitrepo import GitRepo

Obj = dict[str, Any]
DONE = ("Succeeded", "Failed", "Error")


def job(name: str, hook: str, *, policy: str = "", fail: bool = False) -> Obj:
    notes = {"argocd.argoproj.io/hook": hook}
    if policy:
        notes["argocd.argoproj.io/hook-delete-policy"] = policy
    pod: Obj = {
        "restartPolicy": "Never",
        "containers": [{"name": "run", "image": "busybox:1.36", "command": ["true"]}],
    }
    spec: Obj = {"backoffLimit": 0, "template": {"spec": pod}}
    if fail:
        pod["nodeSelector"] = {"argosy.test/no-such-node": "true"}
        spec["activeDeadlineSeconds"] = 2
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "annotations": notes},
        "spec": spec,
    }


def configmap(name: str, wave: int | None = None) -> Obj:
    meta: Obj = {"name": name}
    if wave is not None:
        meta["annotations"] = {"argocd.argoproj.io/sync-wave": str(wave)}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"color": "blue"}}


def deployment(name: str) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
        },
    }


def files(path: str, objs: list[Obj]) -> dict[str, str | None]:
    return {f"{path}/{o['kind'].lower()}-{o['metadata']['name']}.yaml": yaml.safe_dump(o) for o in objs}


def app_spec(git_repo: GitRepo, path: str, dest_ns: str) -> Obj:
    return {
        "project": "default",
        "source": {"repoURL": f"file://{git_repo.bare}", "path": path, "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": dest_ns},
    }


def request_sync(ctl: RunningController, name: str, **sync: Any) -> None:
    body = {"operation": {"initiatedBy": {"username": "test"}, "sync": {"revision": "", **sync}}}
    ctl.cluster.kubectl(
        "patch", "application", name, "-n", ctl.namespace, "--type=merge", "-p", json.dumps(body)
    )


def sync_and_wait(ctl: RunningController, name: str, timeout: float = 60) -> Obj:
    """Request a sync and return the finished operationState of *this* sync.

    The controller clears ``operation`` only when it writes the final state, so
    "no operation and a final phase" after the request means this sync ended.
    """
    request_sync(ctl, name)
    app = ctl.wait_app(
        name,
        lambda a: "operation" not in a and operation_state(a).get("phase") in DONE,
        "the sync finished",
        timeout,
    )
    return operation_state(app)


def by_name(state: Obj) -> dict[str, Obj]:
    return {r["name"]: r for r in state["syncResult"]["resources"]}


def at(entry: Obj, field: str) -> float:
    return parse_timestamp(str(entry[field])).timestamp()


def live(cluster: ClusterHandle, kind: str, namespace: str, name: str) -> Obj | None:
    proc = cluster.kubectl("get", kind, name, "-n", namespace, "-o", "json", check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def test_presync_wave_order_postsync_and_hook_delete_policies(
    cluster: ClusterHandle,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
    namespace: str,
    monkeypatch: Any,
) -> None:
    monkeypatch.setenv("ARGOCD_SYNC_WAVE_DELAY", "0.5")
    objs = [
        job("migrate", "PreSync", policy="HookSucceeded"),
        configmap("settings", wave=-1),
        deployment("web"),
        job("smoke", "PostSync", policy="BeforeHookCreation"),
    ]
    git_repo.commit(files("hooks", objs))
    ctl = controller_factory().start()
    ctl.apply_app("hooks", app_spec(git_repo, "hooks", namespace))

    first = sync_and_wait(ctl, "hooks")
    assert first["phase"] == "Succeeded", first["message"]
    r = by_name(first)
    assert set(r) == {"migrate", "settings", "web", "smoke"}
    assert r["migrate"]["syncPhase"] == "PreSync" and r["smoke"]["syncPhase"] == "PostSync"
    # the order, proven by the recorded times: PreSync hook done before the wave -1 ConfigMap
    # starts, the ConfigMap before the wave 0 Deployment, the Deployment (healthy) before PostSync
    assert at(r["migrate"], "finishedAt") <= at(r["settings"], "startedAt")
    assert at(r["settings"], "finishedAt") <= at(r["web"], "startedAt")
    assert at(r["web"], "finishedAt") <= at(r["smoke"], "startedAt")
    assert r["migrate"]["hookPhase"] == r["smoke"]["hookPhase"] == "Succeeded"
    # HookSucceeded: deleted after success; BeforeHookCreation (PostSync): kept until the next sync
    assert live(cluster, "job", namespace, "migrate") is None
    old = live(cluster, "job", namespace, "smoke")
    assert old is not None
    assert live(cluster, "configmap", namespace, "settings") is not None
    assert live(cluster, "deployment", namespace, "web") is not None

    second = sync_and_wait(ctl, "hooks")
    assert second["phase"] == "Succeeded", second["message"]
    assert second["startedAt"] >= first["startedAt"]
    new = live(cluster, "job", namespace, "smoke")
    assert new is not None
    assert new["metadata"]["uid"] != old["metadata"]["uid"], "BeforeHookCreation must replace the hook"
    jobs = cluster.kubectl("get", "jobs", "-n", namespace, "-o", "name").stdout.split()
    assert jobs == ["job.batch/smoke"]  # one run of the PostSync hook, the PreSync one deleted again
    history = ctl.app("hooks")["status"]["history"]
    assert len(history) == 2 and history[-1]["revision"] == git_repo.sha()


def test_failing_presync_hook_runs_syncfail_and_applies_nothing_else(
    cluster: ClusterHandle,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
    namespace: str,
) -> None:
    objs = [
        job("migrate", "PreSync", fail=True),
        job("cleanup", "SyncFail"),
        configmap("settings"),
        deployment("web"),
        job("smoke", "PostSync"),
    ]
    git_repo.commit(files("failing", objs))
    ctl = controller_factory().start()
    ctl.apply_app("failing", app_spec(git_repo, "failing", namespace))

    state = sync_and_wait(ctl, "failing")
    assert state["phase"] == "Failed", state
    assert state["message"].startswith("one or more synchronization tasks completed unsuccessfully")
    r = by_name(state)
    assert set(r) == {"migrate", "cleanup"}
    assert r["migrate"]["hookPhase"] == "Failed"
    assert r["cleanup"]["hookPhase"] == "Succeeded" and r["cleanup"]["syncPhase"] == "SyncFail"
    assert live(cluster, "job", namespace, "cleanup") is not None
    assert live(cluster, "configmap", namespace, "settings") is None
    assert live(cluster, "deployment", namespace, "web") is None
    assert live(cluster, "job", namespace, "smoke") is None
    app = ctl.app("failing")
    assert "history" not in app["status"] or not app["status"]["history"]
