"""Syncs racing what users do meanwhile: a new commit, an app deletion, a rename.

On the real cluster with the controller running. A PreSync hook Job whose Pod
needs a node label nobody has holds a sync in its first step for as long as
the test wants (the label is added to release it), so the race is made
deterministic instead of hoped for:

* a new commit lands while a sync runs: that sync finishes on the revision
  it started with (its result lists no object of the new revision), then the
  automated sync moves to the new one;
* the Application is deleted (with the resources finalizer) while its sync
  waits on a hook, or right after a sync was requested: the deletion waits for
  the operation, then cascades; nothing is left and nothing is created again;
* an app renamed (deleted, a new one created over the same objects): the
  objects keep their UIDs whether the old app goes without cascade or with
  cascade after the new one took them over.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.cluster import ClusterHandle, ObjectWatch
from support.controller import RunningController, operation_state, sync_status
from support.gate import close_gates, gated_hook, new_gate, open_gate
from support.gitrepo import GitRepo
from support.job_watch import JobWatch

Obj = dict[str, Any]
DONE = ("Succeeded", "Failed", "Error")
FINALIZER = "resources-finalizer.argocd.argoproj.io"
INSTANCE_LABEL = "app.kubernetes.io/instance"


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    return GitRepo(tmp_path / "apps.git")


@pytest.fixture(scope="module")
def ctl(cluster: ClusterHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningController]:
    """One controller for the module (each test's apps have names of their own)."""
    controller = RunningController(cluster, tmp_path_factory.mktemp("repo-cache"))
    try:
        yield controller.start()
    finally:
        controller.stop()


@pytest.fixture
def gate(cluster: ClusterHandle) -> Iterator[str]:
    """A node label key; a hook Job selecting it runs only once :func:`open_gate` set it."""
    key = new_gate()
    yield key
    close_gates(cluster, key, f"{key}-2")


def configmap(name: str, value: str = "v") -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}}


def files(*objs: Obj) -> dict[str, str | None]:
    return {"app/all.yaml": yaml.safe_dump_all(objs)}


def spec(repo: GitRepo, namespace: str, *, automated: bool = False) -> Obj:
    out: Obj = {
        "project": "default",
        "source": {"repoURL": f"file://{repo.bare}", "path": "app", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
    }
    if automated:
        out["syncPolicy"] = {"automated": {"prune": True}}
    return out


def request_sync(ctl: RunningController, name: str) -> None:
    body = {"operation": {"initiatedBy": {"username": "racer"}, "sync": {"revision": "", "prune": True}}}
    ctl.cluster.kubectl(
        "patch", "application", name, "-n", ctl.namespace, "--type=merge", "-p", json.dumps(body)
    )


def waiting_on_gate(app: Obj) -> bool:
    state = operation_state(app)
    results = (state.get("syncResult") or {}).get("resources") or []
    return state.get("phase") == "Running" and any(
        r["name"] == "gate" and r.get("status") == "Synced" for r in results
    )


def finished(app: Obj) -> bool:
    return "operation" not in app and operation_state(app).get("phase") in DONE


def live_names(cluster: ClusterHandle, namespace: str) -> set[str]:
    out = cluster.kubectl("get", "configmaps,jobs", "-n", namespace, "-o", "json").stdout
    return {
        f"{i['kind']}/{i['metadata']['name']}"
        for i in json.loads(out)["items"]
        if i["metadata"]["name"] != "kube-root-ca.crt" and not i["metadata"].get("deletionTimestamp")
    }


def identity(cluster: ClusterHandle, namespace: str, name: str) -> tuple[str, str]:
    meta = json.loads(cluster.kubectl("get", "configmap", name, "-n", namespace, "-o", "json").stdout)[
        "metadata"
    ]
    return meta["uid"], (meta.get("labels") or {}).get(INSTANCE_LABEL, "")


def wait_gone(ctl: RunningController, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        proc = ctl.cluster.kubectl("get", "application", name, "-n", ctl.namespace, check=False)
        if proc.returncode != 0 and "NotFound" in proc.stderr:
            return
        assert time.monotonic() < deadline, f"application {name} still exists after {timeout:.0f}s"
        time.sleep(0.2)


def test_a_sync_racing_a_new_commit_finishes_on_its_revision_then_autosync_moves_on(
    cluster: ClusterHandle, git_repo: GitRepo, ctl: RunningController, namespace: str, gate: str
) -> None:
    first = git_repo.commit(files(gated_hook("gate", gate), configmap("shared", "1"), configmap("old-only")))
    ctl.apply_app("racing", spec(git_repo, namespace, automated=True))
    ctl.wait_app("racing", waiting_on_gate, "the first sync waiting on its PreSync hook", 60)

    second_gate = f"{gate}-2"
    second = git_repo.commit(
        files(gated_hook("gate", second_gate), configmap("shared", "2"), configmap("new-only"))
    )
    ctl.refresh("racing", wait=False)  # the controller sees the new commit while the sync runs
    time.sleep(1.0)
    assert operation_state(ctl.app("racing"))["syncResult"]["revision"] == first
    # Every operation state the app goes through until the automated sync of the new commit
    # waits on its own hook, from a watch (polling missed it: the write that requests the next
    # sync also records it Running, milliseconds after the first one's end): the first
    # operation's final state is among them.
    finals: list[Obj] = []
    watch = ObjectWatch(cluster, "application", ctl.namespace, "racing", timeout=60)
    open_gate(cluster, gate)
    state: Obj = {}
    for app in watch:
        state = operation_state(app)
        if state.get("phase") in DONE and not finals:
            finals.append(state)
        if state.get("phase") == "Running" and state["syncResult"]["revision"] == second:
            break
    else:
        raise AssertionError(f"no automated sync of the new commit within 60 s: {state}")
    watch.stop()
    [done] = finals
    assert done["phase"] == "Succeeded", done
    assert done["syncResult"]["revision"] == first
    assert {r["name"] for r in done["syncResult"]["resources"]} == {"gate", "shared", "old-only"}

    open_gate(cluster, second_gate)
    app = ctl.wait_app(
        "racing",
        lambda a: finished(a) and sync_status(a) == "Synced",
        "the automated sync of the new commit",
        90,
    )
    state = operation_state(app)
    assert state["phase"] == "Succeeded" and state["syncResult"]["revision"] == second, state
    names = {r["name"]: r["status"] for r in state["syncResult"]["resources"]}
    assert names == {"gate": "Synced", "shared": "Synced", "new-only": "Synced", "old-only": "Pruned"}
    assert [h["revision"] for h in app["status"]["history"]] == [first, second]
    assert live_names(cluster, namespace) == {"Job/gate", "ConfigMap/shared", "ConfigMap/new-only"}
    out = cluster.kubectl("get", "configmap", "shared", "-n", namespace, "-o", "jsonpath={.data.k}")
    assert out.stdout == "2"


def test_app_deleted_while_its_hook_job_runs_waits_then_cascades_and_recreates_nothing(
    cluster: ClusterHandle, git_repo: GitRepo, ctl: RunningController, namespace: str, gate: str
) -> None:
    git_repo.commit(files(gated_hook("gate", gate, policy="HookSucceeded"), configmap("web-config")))
    ctl.apply_app("doomed", spec(git_repo, namespace), finalizers=[FINALIZER])
    with JobWatch(cluster, namespace) as jobs:
        request_sync(ctl, "doomed")
        ctl.wait_app("doomed", waiting_on_gate, "the sync waiting on its PreSync hook", 60)
        [hook_uid] = jobs.uids("gate") or [""]
        cluster.kubectl("delete", "application", "doomed", "-n", ctl.namespace, "--wait=false")
        time.sleep(2.0)
        waiting = ctl.app("doomed")  # the deletion waits for the running operation
        assert waiting["metadata"].get("deletionTimestamp")
        assert operation_state(waiting)["phase"] == "Running"
        assert live_names(cluster, namespace) == {"Job/gate"}

        open_gate(cluster, gate)
        wait_gone(ctl, "doomed")
        gone_at = time.monotonic()
        deadline = gone_at + 30
        while live_names(cluster, namespace) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert live_names(cluster, namespace) == set(), "the cascade left objects behind"
        time.sleep(3.0)
        assert live_names(cluster, namespace) == set(), "an object was created after the cascade"
        assert jobs.uids("gate") == [hook_uid], "the hook Job was created again"
        assert not jobs.seen_since(gone_at)


def test_app_deleted_right_after_a_sync_request_leaves_nothing_behind(
    cluster: ClusterHandle, git_repo: GitRepo, ctl: RunningController, namespace: str, gate: str
) -> None:
    git_repo.commit(files(configmap("first"), configmap("second")))
    ctl.apply_app("brief", spec(git_repo, namespace), finalizers=[FINALIZER])
    ctl.wait_app("brief", lambda a: sync_status(a) == "OutOfSync", "compared", 60)
    with JobWatch(cluster, namespace):
        request_sync(ctl, "brief")
        cluster.kubectl("delete", "application", "brief", "-n", ctl.namespace, "--wait=false")
        wait_gone(ctl, "brief")
        time.sleep(3.0)  # a sync still under way would create its objects now
        assert live_names(cluster, namespace) == set()


@pytest.mark.parametrize("cascade", [False, True], ids=["orphaning", "cascading"])
def test_an_app_renamed_by_delete_and_create_keeps_its_objects(
    cluster: ClusterHandle, git_repo: GitRepo, ctl: RunningController, namespace: str, cascade: bool
) -> None:
    old, new = f"old-{'c' if cascade else 'o'}", f"new-{'c' if cascade else 'o'}"
    git_repo.commit(files(configmap("alpha"), configmap("beta")))
    old_meta = {"finalizers": [FINALIZER]} if cascade else {}
    ctl.apply_app(old, spec(git_repo, namespace, automated=True), **old_meta)
    ctl.wait_app(old, lambda a: sync_status(a) == "Synced", "the old app synced", 60)
    before = {n: identity(cluster, namespace, n) for n in ("alpha", "beta")}
    assert {owner for _, owner in before.values()} == {old}

    if not cascade:  # delete first, leaving the objects to whoever claims them
        cluster.kubectl("delete", "application", old, "-n", ctl.namespace)
    ctl.apply_app(new, spec(git_repo, namespace, automated=True))
    ctl.wait_app(
        new,
        lambda a: sync_status(a) == "Synced" and operation_state(a).get("phase") == "Succeeded",
        "the new app synced",
        60,
    )
    if cascade:  # the new app owns them now: the old one's cascade must keep them
        cluster.kubectl("delete", "application", old, "-n", ctl.namespace, "--wait=false")
        wait_gone(ctl, old)
    time.sleep(1.0)

    after = {n: identity(cluster, namespace, n) for n in ("alpha", "beta")}
    assert after == {n: (uid, new) for n, (uid, _) in before.items()}
    app = ctl.refresh(new)
    assert app is not None and sync_status(app) == "Synced"
