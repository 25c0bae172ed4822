"""The controller's log answers an operator's questions without reading code.

One line per reconcile (application, duration, sync, health, revision), per
operation start and end (initiator, result, duration), per deletion (object,
reason), per settings reload (which keys), and per auto-sync decision — above
all, *why an OutOfSync app did not auto-sync*: a sync window, the same revision
already tried and failed, or only pruning needed with automated prune off.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, operation_phase, sync_status
from support.gitrepo import GitRepo

Obj = dict[str, Any]


def configmap(name: str) -> str:
    return yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"a": "b"}}
    )


def fields(record: logging.LogRecord) -> dict[str, Any]:
    return dict(getattr(record, "argosy_fields", {}))


def wait_for_line(
    caplog: pytest.LogCaptureFixture,
    match: Callable[[logging.LogRecord], bool],
    what: str,
    timeout: float = 90,
) -> logging.LogRecord:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for record in list(caplog.records):
            if match(record):
                return record
        time.sleep(0.2)
    seen = "\n".join(f"{r.getMessage()} {fields(r)}" for r in caplog.records[-30:])
    raise AssertionError(f"no log line for {what} within {timeout:.0f}s; last lines:\n{seen}")


def about(app: str, text: str, revision: str = "") -> Callable[[logging.LogRecord], bool]:
    return lambda r: (
        fields(r).get("application", "").endswith(f"/{app}")
        and text in r.getMessage()
        and (not revision or fields(r).get("revision") == revision)
    )


def spec(repo: GitRepo, path: str, namespace: str, **automated: Any) -> Obj:
    return {
        "project": "default",
        "source": {"repoURL": f"file://{repo.bare}", "path": path},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
        "syncPolicy": {"automated": automated, "retry": {"limit": 1, "backoff": {"duration": "1s"}}},
    }


def test_a_sync_is_told_in_the_log_line_by_line(
    cluster: ClusterHandle,
    namespace: str,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="argosy")
    git_repo.commit({"logged/a.yaml": configmap("a"), "logged/b.yaml": configmap("b")})
    ctl = controller_factory().start()
    wait_for_line(
        caplog, lambda r: r.getMessage().startswith("settings reloaded: argocd-cm"), "settings reload"
    )
    ctl.apply_app("logged", spec(git_repo, "logged", namespace, prune=True))
    ctl.wait_app("logged", lambda a: sync_status(a) == "Synced", "first sync", 120)

    revision = git_repo.commit({"logged/b.yaml": None}, message="drop b")
    ctl.refresh("logged", wait=False)
    decision = wait_for_line(caplog, about("logged", "auto-sync started", revision), "the auto-sync decision")
    assert "new revision" in fields(decision)["reason"]
    wait_for_line(caplog, about("logged", "operation started", revision), "the operation start")
    end = wait_for_line(caplog, about("logged", "operation succeeded", revision), "the operation end")
    assert fields(end)["initiator"] == "automated" and isinstance(fields(end)["duration_ms"], int)
    deleted = wait_for_line(caplog, lambda r: "deleted ConfigMap" in r.getMessage(), "the prune")
    assert "(prune)" in deleted.getMessage() and f"{namespace}/b" in deleted.getMessage()
    reconciled = wait_for_line(
        caplog,
        lambda r: r.getMessage() == "reconciled" and fields(r).get("revision") == revision
        and fields(r).get("sync") == "Synced",
        "a reconcile line after the sync",
    )  # fmt: skip
    assert {"application", "duration_ms", "sync", "health", "revision"} <= set(fields(reconciled))
    app = ctl.app("logged")
    assert app["status"]["operationState"]["operation"]["initiatedBy"] == {"automated": True}


def test_why_an_app_did_not_auto_sync_is_in_the_log(
    cluster: ClusterHandle,
    namespace: str,
    git_repo: GitRepo,
    controller_factory: type[RunningController],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="argosy")
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Not_Valid"}, "data": {"a": "b"}}
    git_repo.commit(
        {
            "pruneoff/a.yaml": configmap("p-a"),
            "pruneoff/b.yaml": configmap("p-b"),
            "broken/bad.yaml": yaml.safe_dump(bad),
            "windowed/a.yaml": configmap("w-a"),
        }
    )
    ctl = controller_factory().start()

    # Only pruning needed, automated prune off.
    ctl.apply_app("pruneoff", spec(git_repo, "pruneoff", namespace))
    ctl.wait_app("pruneoff", lambda a: sync_status(a) == "Synced", "first sync", 120)
    # A reconcile of the first revision may still log a skip (its live objects not yet seen):
    # the line wanted is the one about the new revision.
    pruned = git_repo.commit({"pruneoff/b.yaml": None})
    ctl.refresh("pruneoff", wait=False)
    skipped = wait_for_line(caplog, about("pruneoff", "auto-sync skipped", pruned), "the prune-off reason")
    assert "only pruning is needed, and automated prune is off" in skipped.getMessage()

    # The same revision already tried, and failed.
    ctl.apply_app("broken", spec(git_repo, "broken", namespace))
    ctl.wait_app("broken", lambda a: operation_phase(a) == "Failed", "the failed auto-sync", 120)
    ctl.refresh("broken", wait=False)
    tried = wait_for_line(caplog, about("broken", "auto-sync skipped"), "the same-revision reason")
    assert "ended Failed; it is not retried" in tried.getMessage()

    # A deny window.
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "frozen", "namespace": ctl.namespace},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "syncWindows": [
                {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]}
            ],
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=json.dumps(project))
    ctl.apply_app("windowed", {**spec(git_repo, "windowed", namespace), "project": "frozen"})
    waiting = wait_for_line(caplog, about("windowed", "auto-sync waiting"), "the sync-window reason")
    assert "blocked by sync window" in waiting.getMessage()
