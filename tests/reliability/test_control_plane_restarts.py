"""The control plane's kube-apiserver and etcd restarted under a running controller.

The second local cluster is the control plane here (its components are restarted,
the session's main cluster is left alone), and the destination of the apps. With
one app synced and idle and another in the middle of a sync (a PreSync hook Job
waiting on a node label):

1. kube-apiserver is stopped, etcd's history is compacted past every resourceVersion
   the controller holds, and kube-apiserver is started again: every watch breaks and
   resuming it answers ``410 Gone``, so the caches list again;
2. etcd is restarted: within the same outage in the short (CI) setting, under the running
   API server as well with ``ARGOSY_SUITE_MODE=long`` (each API server start costs 10-30 s).

The controller is never restarted. Throughout, the idle app never turns OutOfSync (Unknown
while its cluster cannot be read is the truth) and
no managed object is deleted or re-created (UIDs unchanged); the interrupted sync
finishes with its hook created once (seeing the hook Job complete needs the watches of the
destination again) and the idle app is Synced again.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.budget import long_mode
from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, operation_state, sync_status
from support.gate import close_gates, gated_hook, new_gate, open_gate
from support.gitrepo import GitRepo

Obj = dict[str, Any]


class StatusSampler:
    """Reads the idle app's sync status every 0.2 s in the background (errors while the API
    server is down are skipped) and keeps every status seen."""

    def __init__(self, ctl: RunningController, app: str) -> None:
        self.ctl, self.app = ctl, app
        self.seen: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        path = f"/apis/argoproj.io/v1alpha1/namespaces/{self.ctl.namespace}/applications/{self.app}"
        while not self._stop.wait(0.2):
            try:
                app = self.ctl.client.request("GET", path, timeout=2.0)
            except Exception:
                continue
            self.seen.append(sync_status(app))

    def __enter__(self) -> StatusSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@pytest.fixture
def controller(second_cluster: ClusterHandle, tmp_path: Path) -> Iterator[RunningController]:
    ctl = RunningController(second_cluster, tmp_path / "repo-cache")
    yield ctl
    ctl.stop()


def _files(gate: str) -> dict[str, str | None]:
    def cm(name: str) -> str:
        return yaml.safe_dump(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": "1"}}
        )

    hook = gated_hook("busy-hook", gate)
    return {
        "steady/a.yaml": cm("steady-a"),
        "steady/b.yaml": cm("steady-b"),
        "busy/hook.yaml": yaml.safe_dump(hook),
        "busy/cm.yaml": cm("busy-cm"),
    }


def _uids(handle: ClusterHandle, namespace: str, *names: str) -> dict[str, str]:
    out = handle.kubectl("get", "configmaps", *names, "-n", namespace, "-o", "json").stdout
    return {i["metadata"]["name"]: i["metadata"]["uid"] for i in json.loads(out)["items"]}


def _hook_running(app: Obj) -> bool:
    state = operation_state(app)
    hooks = [
        r for r in (state.get("syncResult") or {}).get("resources") or [] if r.get("name") == "busy-hook"
    ]
    return state.get("phase") == "Running" and bool(hooks) and hooks[0].get("status") == "Synced"


def test_apiserver_and_etcd_restarts_and_410_gone_resync_without_spurious_changes(
    second_cluster: ClusterHandle,
    controller: RunningController,
    tmp_path: Path,
) -> None:
    handle, local = second_cluster, second_cluster.cluster
    ctl = controller.start()
    target = f"t-{uuid.uuid4().hex[:10]}"
    handle.kubectl("create", "namespace", target)
    gate = new_gate()
    repo = GitRepo(tmp_path / "apps.git")
    repo.commit(_files(gate))
    destination = {"server": "https://kubernetes.default.svc", "namespace": target}
    source = {"repoURL": f"file://{repo.bare}"}
    automated = {"automated": {"prune": True, "selfHeal": True}}
    ctl.apply_app("steady", {"project": "default", "source": {**source, "path": "steady"},
                             "destination": destination, "syncPolicy": automated})  # fmt: skip
    ctl.apply_app(
        "busy", {"project": "default", "source": {**source, "path": "busy"}, "destination": destination}
    )
    steady = ctl.wait_app(
        "steady", lambda a: sync_status(a) == "Synced" and health_status(a) == "Healthy", "synced"
    )
    steady_op = operation_state(steady)["startedAt"]
    uids = _uids(handle, target, "steady-a", "steady-b")
    body = {"operation": {"initiatedBy": {"username": "test"}, "sync": {"revision": ""}}}
    handle.kubectl(
        "patch", "application", "busy", "-n", ctl.namespace, "--type=merge", "-p", json.dumps(body)
    )
    busy_op = operation_state(ctl.wait_app("busy", _hook_running, "PreSync hook running", 60))
    [hook_uid] = _uids_of_jobs(handle, target).values()

    relists_before = _relists(ctl)
    try:
        with StatusSampler(ctl, "steady") as sampler:
            local.stop_component("kube-apiserver")
            if not long_mode():  # short: etcd restarts within the same outage (one slow API server start)
                etcd_s = local.restart_component("etcd")
            revision = local.compact_etcd()
            started = time.monotonic()
            local.start_component("kube-apiserver")
            apiserver_s = time.monotonic() - started
            if long_mode():  # long: etcd restarts under the running API server as well
                ctl.wait_app("steady", lambda a: True, "control plane answering", 60)
                etcd_s = local.restart_component("etcd")
            open_gate(handle, gate)
            done = operation_state(
                ctl.wait_app(
                    "busy", lambda a: operation_state(a).get("phase") == "Succeeded", "busy synced", 90
                )
            )
            # Back to Synced needs the destination's watches again: the cache recovered.
            ctl.wait_app("steady", lambda a: sync_status(a) == "Synced", "idle app Synced again", 60)
            time.sleep(1)  # a spurious comparison, if any, shows by now
    finally:
        for component in ("etcd", "kube-apiserver"):  # the tests after this one need the cluster
            if not local.component_status().get(component):
                local.start_component(component)
        close_gates(handle, gate)

    relisted = _relists(ctl) - relists_before
    assert relisted >= 1, "resuming the watches after the compaction answered 410 Gone: they listed again"
    # Unknown while its cluster cannot be read is the truth; OutOfSync would be a lie (and could prune).
    assert sampler.seen and "OutOfSync" not in sampler.seen, f"the idle app's statuses: {set(sampler.seen)}"
    assert sampler.seen[-1] == "Synced"
    assert operation_state(ctl.app("steady"))["startedAt"] == steady_op, "no sync of the idle app"
    assert _uids(handle, target, "steady-a", "steady-b") == uids, "nothing deleted or re-created"
    assert done["startedAt"] == busy_op["startedAt"], "the interrupted operation resumed"
    assert _uids_of_jobs(handle, target) == {"busy-hook": hook_uid}, "the hook Job was created once"
    busy = ctl.wait_app("busy", lambda a: sync_status(a) == "Synced", "busy Synced after its sync")
    assert [h["revision"] for h in busy["status"]["history"]] == [repo.sha()]

    print(
        f"apiserver back in {apiserver_s:.1f} s (compacted at revision {revision}; {relisted} control-plane "
        f"watches answered 410 Gone and listed again); etcd restart {etcd_s:.1f} s; "
        f"idle app sampled {len(sampler.seen)} times: {sampler.seen.count('Unknown')} Unknown, "
        f"{sampler.seen.count('Synced')} Synced, 0 OutOfSync"
    )
    handle.kubectl("delete", "namespace", target, "--wait=false", check=False)


def _uids_of_jobs(handle: ClusterHandle, namespace: str) -> dict[str, str]:
    out = handle.kubectl("get", "jobs", "-n", namespace, "-o", "json").stdout
    return {i["metadata"]["name"]: i["metadata"]["uid"] for i in json.loads(out)["items"]}


def _relists(ctl: RunningController) -> int:
    """Lists made by the controller's control-plane watches (Applications, ConfigMaps, Secrets,
    AppProjects); after the first, a watch lists again only when its resourceVersion expired."""
    assert ctl.controller is not None
    watchers = [*ctl.controller._watchers, *ctl.controller.apps._watchers]
    return sum(w.relists for w in watchers)
