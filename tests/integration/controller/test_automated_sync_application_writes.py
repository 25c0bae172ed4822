"""What an automated sync of a new app writes to its Application, watched on a real cluster.

Every Application write is a validation of the whole object against its schema on the API
server, and the largest share of its CPU in a syncing 1,000-app fleet (issue 20). A new app of
plain objects that are healthy once created costs three: the status it was compared with plus
the ``operation`` and its ``Running`` state (one PATCH), the operation's end, and the status
compared after it. Before, the operation worker wrote ``Running`` on its own, and the sync's
own creations, compared mid-sync, often wrote a half-created status in between.
"""

from __future__ import annotations

import time
from typing import Any

import yaml

from support.cluster import ClusterHandle, ObjectWatch
from support.controller import RunningController, health_status, operation_state, sync_status
from support.gitrepo import GitRepo

Obj = dict[str, Any]


def test_a_new_automated_app_is_written_three_times(
    cluster: ClusterHandle, git_repo: GitRepo, controller_factory: type[RunningController], namespace: str
) -> None:
    files: dict[str, str | None] = {}
    for i in range(5):
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{i}"}, "data": {"v": "1"}}
        files[f"app/cm-{i}.yaml"] = yaml.safe_dump(cm)
    git_repo.commit(files)
    ctl = controller_factory().start()
    watch = ObjectWatch(cluster, "application", ctl.namespace, "writes", timeout=180)
    try:
        ctl.apply_app(
            "writes",
            {
                "project": "default",
                "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
                "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
            },
        )
        ctl.wait_app(
            "writes",
            lambda a: (
                sync_status(a) == "Synced"
                and health_status(a) == "Healthy"
                and operation_state(a).get("phase") == "Succeeded"
            ),
            "synced, healthy, operation succeeded",
            120,
        )
        time.sleep(7.0)  # past the controller's coalescing of live changes during a sync
    finally:
        versions = watch.stop()

    assert versions and not versions[0].get("status"), versions[:1]  # as kubectl apply created it
    writes = versions[1:]
    seen = [(sync_status(w), operation_state(w).get("phase"), "operation" in w) for w in writes]
    assert seen == [
        ("OutOfSync", "Running", True),  # compared; the sync requested and started
        ("OutOfSync", "Succeeded", False),  # the operation's end
        ("Synced", "Succeeded", False),  # compared after it
    ], seen
    assert health_status(writes[-1]) == "Healthy"
