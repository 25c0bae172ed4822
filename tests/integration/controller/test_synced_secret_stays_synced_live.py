"""A Secret synced by the controller compares Synced afterwards, however Git writes it.

Secrets are where comparison has most normalisation to do: ``stringData`` folds
into base64 ``data`` on the server, values are masked before any diff leaves
the controller, and ``type`` defaults to ``Opaque``. A synced Secret that stays
OutOfSync makes auto-sync re-apply it on every cycle, so this runs the real
controller against the real API server.
"""

from __future__ import annotations

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, operation_phase, resource, sync_status
from support.gitrepo import GitRepo


def test_secrets_from_string_data_and_data_are_synced_after_an_automated_sync(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    objects = [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "from-string-data"},
            "stringData": {"password": "s3cr3t-value-7781", "empty": ""},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "from-data"},
            "type": "Opaque",
            "data": {"token": "dG9rZW4tdmFsdWUtNDQxOQ=="},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "tls-like"},
            "type": "kubernetes.io/basic-auth",
            "stringData": {"username": "admin", "password": "pw-3391"},
        },
    ]
    git_repo.commit({"app/secrets.yaml": yaml.safe_dump_all(objects)})
    ctl = controller_factory().start()
    ctl.apply_app(
        "secrets",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    )
    ctl.wait_app("secrets", lambda a: operation_phase(a) == "Succeeded", "automated sync succeeded", 90)
    app = ctl.wait_app("secrets", lambda a: sync_status(a) == "Synced", "Synced after the sync", 30)
    for name in ("from-string-data", "from-data", "tls-like"):
        assert resource(app, "Secret", name)["status"] == "Synced", resource(app, "Secret", name)
    # A hard refresh compares again from scratch: still Synced, and no second sync ran.
    revision = app["status"]["operationState"]["syncResult"]["revision"]
    started = app["status"]["operationState"]["startedAt"]
    ctl.refresh("secrets")
    app = ctl.wait_app("secrets", lambda a: sync_status(a) == "Synced", "Synced after a refresh", 30)
    assert app["status"]["operationState"]["startedAt"] == started
    assert app["status"]["operationState"]["syncResult"]["revision"] == revision
