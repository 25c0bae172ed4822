"""Sync windows enforced by the running controller, with an injected clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, operation_phase, sync_status
from support.gitrepo import GitRepo

PARIS = ZoneInfo("Europe/Paris")
CM = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "windowed"}, "data": {"k": "v"}}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _project(ctl: RunningController, name: str, windows: list[dict[str, Any]]) -> None:
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": name, "namespace": ctl.namespace},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "syncWindows": windows,
        },
    }
    ctl.cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(project))


def test_automated_sync_waits_for_the_allow_window(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    git_repo.commit({"app/cm.yaml": yaml.safe_dump(CM)})
    clock = Clock(datetime(2026, 11, 25, 3, 0, tzinfo=PARIS).astimezone(UTC))
    ctl = controller_factory()
    _project_name = "office-hours"
    ctl.start(clock=clock)
    # The seed's allow window: 06:00 for 6h, Paris time.
    _project(
        ctl,
        _project_name,
        [
            {
                "kind": "allow",
                "schedule": "0 6 * * *",
                "duration": "6h",
                "timeZone": "Europe/Paris",
                "applications": ["*"],
            }
        ],
    )
    ctl.apply_app(
        "windowed",
        {
            "project": _project_name,
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {"prune": True}},
        },
    )
    ctl.wait_app("windowed", lambda a: sync_status(a) == "OutOfSync", "OutOfSync")
    app = ctl.refresh("windowed")
    assert not app.get("operation") and operation_phase(app) == "", "synced outside the allow window"
    assert cluster.kubectl("get", "configmap", "windowed", "-n", namespace, check=False).returncode != 0

    clock.now = datetime(2026, 11, 25, 7, 0, tzinfo=PARIS).astimezone(UTC)
    ctl.refresh("windowed")
    ctl.wait_app("windowed", lambda a: sync_status(a) == "Synced", "synced once the window opened", 60)


def test_manual_sync_through_a_deny_window_only_with_manual_sync(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    git_repo.commit({"app/cm.yaml": yaml.safe_dump(CM)})
    ctl = controller_factory().start()
    deny = {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]}
    _project(ctl, "frozen", [dict(deny, manualSync=False)])
    _project(ctl, "frozen-manual", [dict(deny, manualSync=True)])
    for name, project in (("blocked", "frozen"), ("let-through", "frozen-manual")):
        ctl.apply_app(
            name,
            {
                "project": project,
                "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            },
        )
        ctl.wait_app(name, lambda a: sync_status(a) == "OutOfSync", "OutOfSync")
        body = {"operation": {"initiatedBy": {"username": "tester"}, "sync": {"revision": ""}}}
        cluster.kubectl(
            "patch", "application", name, "-n", ctl.namespace, "--type=merge", "-p", json.dumps(body)
        )
    blocked = ctl.wait_app(
        "blocked", lambda a: operation_phase(a) == "Failed", "manual sync refused by the deny window"
    )
    message = blocked["status"]["operationState"]["message"]
    assert "sync window" in message and "deny" in message and "* * * * *" in message
    ctl.wait_app(
        "let-through", lambda a: operation_phase(a) == "Succeeded", "manual sync let through by manualSync"
    )
    ctl.wait_app("let-through", lambda a: sync_status(a) == "Synced", "Synced")
