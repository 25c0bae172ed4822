"""RollingSync on a real cluster: the ApplicationSet controller and the application controller
together roll six apps out in three steps (dev, then qa one at a time, then prod).

The order is proved twice: every poll of the apps (one consistent list from the API server) must
satisfy the step invariants (no qa app started before every dev app is done, at most one qa app
in flight, no prod app before every qa app is done), and afterwards the apps' own
``operationState.startedAt``/``finishedAt`` must say the same. A template change (a new source
path, which makes every app OutOfSync) must roll out in the same order again.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from support.appset import Env
from support.controller import RunningController, health_status, operation_state, sync_status
from support.git_server import GitHttpServer

Obj = dict[str, Any]
STEPS = ("dev", "qa", "prod")
APPS = {f"{env}-{i}": env for env in STEPS for i in (1, 2)}
TIMEOUT = 90.0


def _configmap(version: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rolling\ndata:\n  version: {version!r}\n"


def _appset(name: str, repo_url: str, path: str, namespace: str) -> Obj:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": name},
        "spec": {
            "generators": [{"list": {"elements": [{"name": n, "env": e} for n, e in APPS.items()]}}],
            "strategy": {
                "type": "RollingSync",
                "rollingSync": {
                    "steps": [
                        {"matchExpressions": [{"key": "env", "operator": "In", "values": ["dev"]}]},
                        {
                            "matchExpressions": [{"key": "env", "operator": "In", "values": ["qa"]}],
                            "maxUpdate": 1,
                        },
                        {"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]},
                    ]
                },
            },
            "template": {
                "metadata": {"name": "{{name}}", "labels": {"env": "{{env}}"}},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": repo_url, "path": path, "targetRevision": "HEAD"},
                    "destination": {
                        "server": "https://kubernetes.default.svc",
                        "namespace": f"{namespace}-{{{{name}}}}",
                    },
                    # RollingSync removes `automated`: were it kept, all six apps would sync at once.
                    "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]},
                },
            },
        },
    }


@dataclass
class Rollout:
    """What the polls saw of one rollout; ``baseline`` is each app's ``startedAt`` before it."""

    baseline: dict[str, str]
    started: dict[str, float] = field(default_factory=dict)
    done: dict[str, float] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    polls: int = 0

    def is_started(self, app: Obj) -> bool:
        name = app["metadata"]["name"]
        return bool(app.get("operation")) or operation_state(app).get("startedAt", "") != self.baseline[name]

    def is_done(self, app: Obj) -> bool:
        state = operation_state(app)
        return (
            self.is_started(app)
            and not app.get("operation")
            and state.get("phase") == "Succeeded"
            and sync_status(app) == "Synced"
            and health_status(app) == "Healthy"
        )

    def observe(self, apps: dict[str, Obj], at: float) -> None:
        """Record one consistent snapshot and check the step invariants on it."""
        self.polls += 1
        started = {n for n in APPS if n in apps and self.is_started(apps[n])}
        done = {n for n in started if self.is_done(apps[n])}
        for n in started:
            self.started.setdefault(n, at)
        for n in done:
            self.done.setdefault(n, at)
        by_env = {e: {n for n, ne in APPS.items() if ne == e} for e in STEPS}
        for earlier, later in itertools.pairwise(STEPS):
            if started & by_env[later] and not by_env[earlier] <= done:
                self.violations.append(
                    f"t={at:.2f}s: {sorted(started & by_env[later])} started while "
                    f"{sorted(by_env[earlier] - done)} ({earlier}) were not yet synced and Healthy"
                )
        in_flight = sorted((started - done) & by_env["qa"])
        if len(in_flight) > 1:
            self.violations.append(f"t={at:.2f}s: qa apps {in_flight} in flight at once (maxUpdate 1)")


def _list_apps(env: Env) -> dict[str, Obj]:
    body = env.client.request("GET", f"/apis/argoproj.io/v1alpha1/namespaces/{env.namespace}/applications")
    return {a["metadata"]["name"]: a for a in body["items"]}


def _rollout_condition(appset: Obj) -> Obj:
    return next(
        (
            c
            for c in (appset.get("status") or {}).get("conditions") or []
            if c["type"] == "RolloutProgressing"
        ),
        {},
    )


def _complete(env: Env, name: str, rollout: Rollout) -> bool:
    appset = env.get("applicationset", name) or {}
    statuses = (appset.get("status") or {}).get("applicationStatus") or []
    return (
        len(rollout.done) == len(APPS)
        and sorted(s["application"] for s in statuses) == sorted(APPS)
        and all(s["status"] == "Healthy" for s in statuses)
        and _rollout_condition(appset).get("status") == "False"
    )


def _watch(env: Env, name: str, rollout: Rollout) -> Rollout:
    """Poll until the rollout is complete, checking every snapshot; fail naming what is missing."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < TIMEOUT:
        apps = _list_apps(env)
        rollout.observe(apps, time.monotonic() - t0)
        if len(rollout.done) == len(APPS) and _complete(env, name, rollout):
            return rollout
        time.sleep(0.05)
    apps = _list_apps(env)
    appset = env.get("applicationset", name) or {}
    state = {
        n: (sync_status(a), health_status(a), operation_state(a).get("phase"), bool(a.get("operation")))
        for n, a in apps.items()
    }
    raise AssertionError(
        f"timed out after {TIMEOUT:.0f}s waiting for the rollout of {name} to complete "
        f"(all 6 apps synced and Healthy, applicationStatus all Healthy, RolloutProgressing False); "
        f"done: {sorted(rollout.done)}; apps (sync, health, phase, operation): {state}; "
        f"applicationStatus: {(appset.get('status') or {}).get('applicationStatus')}; "
        f"RolloutProgressing: {_rollout_condition(appset)}; violations so far: {rollout.violations}"
    )


def _assert_order(env: Env, rollout: Rollout) -> None:
    """The invariants held in every poll, and the apps' own recorded times agree."""
    assert rollout.violations == [], f"rollout order broken: {rollout.violations}"
    times = {n: operation_state(a) for n, a in _list_apps(env).items()}
    for n, state in times.items():
        assert state.get("phase") == "Succeeded", f"{n}: last operation {state}"
    first_seen = {e: min(rollout.started[n] for n in APPS if APPS[n] == e) for e in STEPS}
    last_done = {e: max(rollout.done[n] for n in APPS if APPS[n] == e) for e in STEPS}
    recorded = {n: (times[n]["startedAt"], times[n]["finishedAt"]) for n in APPS}
    for earlier, later in itertools.pairwise(STEPS):
        assert last_done[earlier] <= first_seen[later], (
            f"polls: the last {earlier} app was done at {last_done[earlier]:.2f}s, "
            f"a {later} app started at {first_seen[later]:.2f}s"
        )
        # RFC 3339 at second resolution: equal seconds are allowed, later-before-earlier is not.
        finished = max(recorded[n][1] for n in APPS if APPS[n] == earlier)
        started = min(recorded[n][0] for n in APPS if APPS[n] == later)
        assert finished <= started, (
            f"{earlier} finished at {finished} after a {later} app started at {started}: {recorded}"
        )
    qa = sorted(recorded[n] for n in APPS if APPS[n] == "qa")
    assert qa[0][1] <= qa[1][0], f"qa syncs overlap despite maxUpdate 1: {qa}"
    qa_polls = sorted((rollout.started[n], rollout.done[n]) for n in APPS if APPS[n] == "qa")
    assert qa_polls[0][1] <= qa_polls[1][0], f"qa syncs overlap in the polls: {qa_polls}"


def test_rolling_sync_syncs_dev_then_qa_one_at_a_time_then_prod(
    env: Env, git_server: GitHttpServer, tmp_path: Path
) -> None:
    repo_name = f"rolling-{uuid.uuid4().hex[:6]}"
    repo = git_server.create_repo(repo_name)
    repo.commit({"v1/cm.yaml": _configmap("v1"), "v2/cm.yaml": _configmap("v2")})
    app_controller = RunningController(env.cluster, tmp_path / "app-repo-cache", namespace=env.namespace)
    app_controller.start()
    try:
        name = "rolling"
        env.apply(_appset(name, git_server.url(repo_name), "v1", env.namespace))
        first = _watch(env, name, Rollout(baseline=dict.fromkeys(APPS, "")))
        _assert_order(env, first)
        for n in APPS:
            spec = env.apps()[n]["spec"]
            assert "automated" not in (spec.get("syncPolicy") or {}), f"{n} kept syncPolicy.automated"

        # A new source path: every app goes OutOfSync, and the second rollout keeps the order too.
        baseline = {n: operation_state(a).get("startedAt", "") for n, a in _list_apps(env).items()}
        time.sleep(1.0)  # so that a new sync's startedAt differs from the baseline's (1 s resolution)
        env.apply(_appset(name, git_server.url(repo_name), "v2", env.namespace))
        second = _watch(env, name, Rollout(baseline=baseline))
        _assert_order(env, second)
        for n in APPS:
            out = env.cluster.kubectl(
                "get", "configmap", "rolling", "-n", f"{env.namespace}-{n}", "-o", "jsonpath={.data.version}"
            )
            assert out.stdout == "v2", f"{n}: ConfigMap rolling has version {out.stdout!r}, want 'v2'"
    finally:
        if app_controller.controller is not None:
            app_controller.controller.stop()
        for n in APPS:
            env.cluster.kubectl("delete", "namespace", f"{env.namespace}-{n}", "--wait=false", check=False)
