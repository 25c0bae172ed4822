"""The controller SIGKILLed at random points of many syncs: every operation ends as if never killed.

One app alternates between two revisions of a manifest set that exercises
the whole sync: a PreSync hook Job; wave 0 with a ConfigMap that never
changes, one that changes, and one per revision (so each sync prunes the
other revision's); wave 1 with a Sync hook Job (``HookSucceeded``: deleted once
done); a PostSync hook Job (``BeforeHookCreation``: replaced by the next sync).
Every step writes ``status.operationState``. The controller runs as a real
``argosy controller`` process.

First a reference pass without kills records, per revision transition, the
operation's result (phase; every syncResult entry's kind, name, phase, status
and hookPhase) and the objects left in the namespace. Then a seeded loop
requests the same transitions and SIGKILLs the controller a random delay
after each request (sometimes twice per sync), restarting it every time.
After each operation:

* it finished (no operation is lost) on the revision it was requested for,
  with exactly the reference result, and the namespace holds exactly the
  reference objects (nothing pruned that should stay, nothing left over);
* objects that never change keep their UID through the whole run;
* at the end, every hook Job name has exactly one UID per operation that ran
  it (a watch sees Jobs that were created and deleted in between), so no hook
  ran twice.

``ARGOSY_KILL_SEED`` repeats a run's kill schedule (the seed is printed and in
every failure message); ``ARGOSY_SUITE_MODE=long`` kills 50 times instead of 2.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.controller.bootstrap import bootstrap
from argosy.kube.clients import KubeClient
from argosy.settings.clusters import in_cluster_config
from support.budget import scaled
from support.cluster import ClusterHandle
from support.controller_process import Processes
from support.gitrepo import GitRepo
from support.job_watch import JobWatch

Obj = dict[str, Any]
DONE = ("Succeeded", "Failed", "Error")
HOOKS = ("pre", "mid", "post")
NEVER_CHANGED = (("configmaps", "stable"), ("configmaps", "settings"))
REVISIONS = 2
APP = "killed"


def _meta(name: str, **annotations: str) -> Obj:
    meta: Obj = {"name": name}
    if annotations:
        meta["annotations"] = {f"argocd.argoproj.io/{k.replace('_', '-')}": v for k, v in annotations.items()}
    return meta


def hook_job(name: str, hook: str, **annotations: str) -> Obj:
    pod = {"restartPolicy": "Never", "containers": [{"name": "run", "image": "busybox:1.36"}]}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": _meta(name, hook=hook, **annotations),
        "spec": {"backoffLimit": 0, "template": {"spec": pod}},
    }


def configmap(name: str, data: dict[str, str], **annotations: str) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(name, **annotations), "data": data}


def revision_files(i: int) -> dict[str, str | None]:
    """Revision ``i`` of the app: same hooks and waves, a changed ConfigMap, one of its own."""
    objs = [
        hook_job("pre", "PreSync"),
        configmap("stable", {"k": "v"}),
        configmap("settings", {"revision": str(i)}),
        configmap(f"only-{i}", {"k": "v"}),
        hook_job("mid", "Sync", sync_wave="1", hook_delete_policy="HookSucceeded"),
        hook_job("post", "PostSync", hook_delete_policy="BeforeHookCreation"),
    ]
    return {"app/all.yaml": yaml.safe_dump_all(objs)}


@dataclass
class Outcome:
    """What one operation left: its result and the namespace's objects."""

    phase: str
    results: list[tuple[str, str, str, str, str]]
    objects: list[tuple[str, str]]


@dataclass
class Figures:
    kills: int = 0
    kills_mid_sync: int = 0
    kills_before_start: int = 0
    kills_after_end: int = 0
    syncs: int = 0
    where: list[str] = field(default_factory=list)


class Harness:
    """The app, its controller processes, and the reads the assertions need (API, not kubectl)."""

    def __init__(self, cluster: ClusterHandle, repo: GitRepo, namespace: str, procs: Processes) -> None:
        self.cluster = cluster
        self.repo = repo
        self.namespace = namespace
        self.procs = procs
        self.client = KubeClient(in_cluster_config(cluster.kubeconfig))
        self.cp = f"argocd-{uuid.uuid4().hex[:6]}"
        self.app_path = f"/apis/argoproj.io/v1alpha1/namespaces/{self.cp}/applications/{APP}"
        self.proc: subprocess.Popen[bytes] | None = None

    def setup(self) -> None:
        bootstrap(self.client, self.cp)
        cm = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": self.cp},
            "data": {"installationID": self.cp},
        }
        self.cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(cm))
        app = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": APP, "namespace": self.cp},
            "spec": {
                "project": "default",
                "source": {"repoURL": f"file://{self.repo.bare}", "path": "app", "targetRevision": "HEAD"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": self.namespace},
            },
        }
        self.cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(app))

    def start(self) -> None:
        self.proc = self.procs.start(self.cp)
        self.procs.wait_ready(self.proc, 30)

    def kill(self) -> None:
        assert self.proc is not None
        self.procs.kill(self.proc)
        self.proc = None

    def app(self) -> Obj:
        app: Obj = self.client.request("GET", self.app_path)
        return app

    def request_sync(self, sha: str) -> None:
        sync = {"revision": sha, "prune": True}
        body = {"operation": {"initiatedBy": {"username": "kill-loop"}, "sync": sync}}
        self.client.request("PATCH", self.app_path, body=body, content_type="application/merge-patch+json")

    def wait_done(self, sha: str, timeout: float, context: str) -> Obj:
        deadline = time.monotonic() + timeout
        while True:
            app = self.app()
            state = (app.get("status") or {}).get("operationState") or {}
            revision = (state.get("syncResult") or {}).get("revision")
            if "operation" not in app and state.get("phase") in DONE and revision == sha:
                return app
            assert time.monotonic() < deadline, (
                f"{context}: the operation on {sha[:8]} did not finish within {timeout:.0f}s "
                f"(lost?); operation={app.get('operation')}, state={json.dumps(state)[:2000]}"
            )
            time.sleep(0.1)

    def objects(self) -> list[tuple[str, str]]:
        out = []
        kinds = (("configmaps", "/api/v1"), ("jobs", "/apis/batch/v1"))
        for plural, group in kinds:
            items = self.client.request("GET", f"{group}/namespaces/{self.namespace}/{plural}")["items"]
            for item in items:
                meta = item["metadata"]
                if meta["name"] != "kube-root-ca.crt" and not meta.get("deletionTimestamp"):
                    out.append((plural, meta["name"]))
        return sorted(out)

    def uid(self, plural: str, name: str) -> str:
        obj = self.client.request("GET", f"/api/v1/namespaces/{self.namespace}/{plural}/{name}")
        return str(obj["metadata"]["uid"])

    def outcome(self, app: Obj) -> Outcome:
        state = app["status"]["operationState"]
        results = sorted(
            (r["kind"], r["name"], r.get("syncPhase", ""), r.get("status", ""), r.get("hookPhase", ""))
            for r in state["syncResult"]["resources"]
        )
        # A HookSucceeded Job being deleted in the background is not "left over".
        deadline = time.monotonic() + 10
        while ("jobs", "mid") in (objs := self.objects()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return Outcome(state["phase"], results, objs)


@pytest.fixture
def harness(cluster: ClusterHandle, namespace: str, tmp_path: Path) -> Iterator[Harness]:
    repo = GitRepo(tmp_path / "app.git")
    with Processes(cluster, tmp_path, wave_delay=0.2) as procs:
        h = Harness(cluster, repo, namespace, procs)
        try:
            yield h
        finally:
            procs.kill_all()
            cluster.kubectl("delete", "namespace", h.cp, "--wait=false", check=False)


@pytest.mark.timeout(scaled(600, 7200))  # 50 kills on a busy machine outlast the default 600 s
def test_sigkilled_controller_finishes_every_sync_as_if_never_killed(
    harness: Harness, cluster: ClusterHandle, namespace: str
) -> None:
    seed = int(os.environ.get("ARGOSY_KILL_SEED") or random.SystemRandom().randrange(1 << 32))
    rng = random.Random(seed)
    target_kills = scaled(2, 50)
    print(f"kill loop: ARGOSY_KILL_SEED={seed}, {target_kills} kills")
    began = time.monotonic()
    shas = [harness.repo.commit(revision_files(i), f"revision {i}") for i in range(REVISIONS)]
    harness.setup()
    figures = Figures()
    operations = 0

    with JobWatch(cluster, namespace) as jobs:
        harness.start()
        # r0 from nothing (not compared: no kill loop starts from an empty namespace), then the
        # reference transitions r0->r1 and r1->r0 without kills.
        reference: dict[int, Outcome] = {}
        durations: list[float] = []
        for i in (0, 1, 0):
            started = time.monotonic()
            harness.request_sync(shas[i])
            app = harness.wait_done(shas[i], 60, f"reference sync of revision {i}")
            operations += 1
            durations.append(time.monotonic() - started)
            outcome = harness.outcome(app)
            assert outcome.phase == "Succeeded", app["status"]["operationState"]
            if operations > 1:
                reference[i] = outcome
        uids = {key: harness.uid(*key) for key in NEVER_CHANGED}
        # Kills land within the shortest reference sync: most mid-sync, some before it starts.
        span = min(durations[1:])
        print(f"kill loop: reference syncs took {', '.join(f'{d:.1f}s' for d in durations)}")

        i = 0
        while figures.kills < target_kills:
            i = (i + 1) % REVISIONS
            sha = shas[i]
            context = f"seed {seed}, sync #{figures.syncs + 1} to revision {i}"
            harness.request_sync(sha)
            for _ in range(2 if rng.random() < 0.25 else 1):
                time.sleep(rng.uniform(0.0, span))
                before = harness.app()
                harness.kill()
                figures.kills += 1
                state = (before.get("status") or {}).get("operationState") or {}
                same = (state.get("syncResult") or {}).get("revision") == sha
                if state.get("phase") == "Running" and same:
                    figures.kills_mid_sync += 1
                    figures.where.append(str(state.get("message") or "")[:60])
                elif "operation" in before:
                    figures.kills_before_start += 1
                else:
                    figures.kills_after_end += 1
                harness.start()
            app = harness.wait_done(sha, 90, context)
            figures.syncs += 1
            operations += 1
            outcome = harness.outcome(app)
            assert outcome == reference[i], f"{context}: {outcome} != reference {reference[i]}"
            assert app["status"]["history"][-1]["revision"] == sha, context
            now = {key: harness.uid(*key) for key in NEVER_CHANGED}
            assert now == uids, f"{context}: objects that never change were re-created"

        # Every hook ran exactly once per operation: one UID per operation, never two.
        deadline = time.monotonic() + 10
        while any(len(jobs.uids(h)) < operations for h in HOOKS) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert jobs.running(), "the Job watch ended early; the hook counts would be incomplete"
        counts = {h: len(jobs.uids(h)) for h in HOOKS}
        assert counts == dict.fromkeys(HOOKS, operations), f"seed {seed}: hook Job UIDs {counts}"
        assert jobs.names() == set(HOOKS)

    elapsed = time.monotonic() - began
    print(
        f"kill loop: seed {seed}: {figures.kills} kills survived ({figures.kills_mid_sync} mid-sync, "
        f"{figures.kills_before_start} before the operation started, {figures.kills_after_end} after it "
        f"ended) over {figures.syncs} killed syncs + 3 reference syncs; {sum(counts.values())} hook Job "
        f"UIDs checked ({len(HOOKS)} hooks x {operations} operations); {elapsed:.1f}s"
    )
    print("kill points mid-sync: " + "; ".join(sorted(set(figures.where))))
