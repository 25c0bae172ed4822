"""Application routes on a running server: project validation, operations written as Argo CD
writes them, patch, delete finalizers, events and the SSE stream."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from support.api_server import ControlPlane, application, assert_error, bearer, project, start_server


@pytest.fixture(scope="module", autouse=True)
def restricted_project(control_plane: ControlPlane) -> None:
    control_plane.apply(
        project(
            "restricted",
            sourceRepos=["https://github.com/argoproj/*"],
            destinations=[{"server": "https://kubernetes.default.svc", "namespace": "guestbook"}],
        )
    )


def _name() -> str:
    return f"app-{uuid.uuid4().hex[:6]}"


def test_create_validates_against_the_project(api: httpx.Client, admin: dict[str, str]) -> None:
    bad_repo = application(_name(), project="restricted", repo="https://evil.example.com/x.git")
    assert_error(api.post("/api/v1/applications", headers=admin, json=bad_repo), 400, 3, "sourceRepos")
    bad_dest = application(_name(), project="restricted")
    bad_dest["spec"]["destination"]["namespace"] = "kube-system"
    assert_error(api.post("/api/v1/applications", headers=admin, json=bad_dest), 400, 3, "destinations")
    missing = application(_name(), project="nope")
    assert_error(api.post("/api/v1/applications", headers=admin, json=missing), 400, 3, "project nope")
    good = application(_name(), project="restricted")
    created = api.post("/api/v1/applications", headers=admin, json=good)
    assert created.status_code == 200, created.text
    assert created.json()["metadata"]["uid"]
    # same spec again is fine; a different one needs upsert
    assert api.post("/api/v1/applications", headers=admin, json=good).status_code == 200
    changed = json.loads(json.dumps(good))
    changed["spec"]["source"]["path"] = "helm-guestbook"
    assert_error(api.post("/api/v1/applications", headers=admin, json=changed), 400, 3, "upsert")
    upserted = api.post("/api/v1/applications?upsert=true", headers=admin, json=changed)
    assert upserted.json()["spec"]["source"]["path"] == "helm-guestbook"


def test_create_refuses_a_malformed_spec_naming_the_field(api: httpx.Client, admin: dict[str, str]) -> None:
    wrong_type = application(_name(), syncPolicy={"automated": {"prune": "yes"}})
    wrong_type["spec"]["source"]["helm"] = {"valueFiles": "values.yaml"}
    resp = api.post("/api/v1/applications", headers=admin, json=wrong_type)
    assert_error(
        resp,
        400,
        3,
        "InvalidSpecError",
        "spec.source.helm.valueFiles: expected array, got string",
        "spec.syncPolicy.automated.prune: expected boolean, got string",
    )
    no_repo = application(_name())
    del no_repo["spec"]["source"]["repoURL"]
    resp = api.post("/api/v1/applications", headers=admin, json=no_repo)
    assert_error(resp, 400, 3, "spec.source.repoURL is required")
    # A misspelt field is refused by the API server (strict field validation), not dropped.
    typo = application(_name())
    typo["spec"]["source"]["targetRevison"] = "v1"
    resp = api.post("/api/v1/applications", headers=admin, json=typo)
    assert_error(resp, 400, 3, 'unknown field "spec.source.targetRevison"')
    assert api.get(f"/api/v1/applications/{typo['metadata']['name']}", headers=admin).status_code == 404


def test_sync_writes_the_operation_and_refuses_a_second(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    name = _name()
    control_plane.apply(application(name, syncPolicy={"syncOptions": ["CreateNamespace=true"]}))
    body = {
        "revision": "HEAD",
        "prune": True,
        "dryRun": False,
        "resources": [{"group": "apps", "kind": "Deployment", "name": "guestbook-ui"}],
        "strategy": {"hook": {}},
        "retryStrategy": {"limit": 2},
    }
    resp = api.post(f"/api/v1/applications/{name}/sync", headers=admin, json=body)
    assert resp.status_code == 200, resp.text
    stored = control_plane.get("applications.argoproj.io", name)
    assert stored["operation"] == {
        "sync": {
            "revision": "HEAD",
            "prune": True,
            "dryRun": False,
            "syncOptions": ["CreateNamespace=true"],
            "syncStrategy": {"hook": {}},
            "resources": [{"group": "apps", "kind": "Deployment", "name": "guestbook-ui"}],
        },
        "initiatedBy": {"username": "admin"},
        "retry": {"limit": 2},
    }
    again = api.post(f"/api/v1/applications/{name}/sync", headers=admin, json={})
    assert_error(again, 409, 10, "another operation is already in progress")
    # terminate needs a running operation (status.operationState), then marks it Terminating
    assert_error(api.delete(f"/api/v1/applications/{name}/operation", headers=admin), 400, 3, "No operation")
    running = {"phase": "Running", "operation": stored["operation"]}
    control_plane.patch_app(name, {"status": {"operationState": running}})
    assert api.delete(f"/api/v1/applications/{name}/operation", headers=admin).status_code == 200
    stored = control_plane.get("applications.argoproj.io", name)
    assert stored["status"]["operationState"]["phase"] == "Terminating"


def test_sync_to_another_revision_refused_under_auto_sync(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    name = _name()
    control_plane.apply(application(name, syncPolicy={"automated": {}}))
    resp = api.post(f"/api/v1/applications/{name}/sync", headers=admin, json={"revision": "v1.0"})
    assert_error(resp, 400, 9, "Cannot sync to v1.0", "disable automated sync")


def test_rollback_disables_automated_sync_in_the_same_update(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    name = _name()
    old_source = {"repoURL": "https://github.com/argoproj/argocd-example-apps.git", "path": "guestbook",
                  "targetRevision": "v1"}  # fmt: skip
    control_plane.apply(
        application(name, syncPolicy={"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]})
    )
    control_plane.patch_app(
        name, {"status": {"history": [{"id": 3, "revision": "abc123", "source": old_source}]}}
    )
    unknown = api.post(f"/api/v1/applications/{name}/rollback", headers=admin, json={"id": 9})
    assert_error(unknown, 400, 3, "does not have deployment with id 9")
    assert "automated" in control_plane.get("applications.argoproj.io", name)["spec"]["syncPolicy"]

    ok = api.post(f"/api/v1/applications/{name}/rollback", headers=admin, json={"id": 3, "prune": True})
    assert ok.status_code == 200, ok.text
    assert "automated sync of application" in ok.headers["warning"] and "disabled" in ok.headers["warning"]
    body = ok.json()
    assert body["spec"]["syncPolicy"] == {"syncOptions": ["CreateNamespace=true"]}
    assert body["operation"]["sync"] == {
        "revision": "abc123",
        "dryRun": False,
        "prune": True,
        "syncStrategy": {"apply": {}},
        "source": old_source,
        "syncOptions": ["CreateNamespace=true"],
    }
    stored = control_plane.get("applications.argoproj.io", name)
    assert "automated" not in stored["spec"]["syncPolicy"]
    assert stored["operation"]["sync"]["revision"] == "abc123"
    busy = api.post(f"/api/v1/applications/{name}/rollback", headers=admin, json={"id": 3})
    assert busy.status_code == 409, busy.text


def test_patch_merge_and_validation(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    name = _name()
    control_plane.apply(application(name, project="restricted"))
    merge = {"patch": json.dumps({"spec": {"source": {"path": "kustomize-guestbook"}}}), "patchType": "merge"}
    resp = api.patch(f"/api/v1/applications/{name}", headers=admin, json=merge)
    assert resp.json()["spec"]["source"]["path"] == "kustomize-guestbook"
    bad = {
        "patch": json.dumps({"spec": {"source": {"repoURL": "https://evil.example.com/x"}}}),
        "patchType": "merge",
    }
    assert_error(api.patch(f"/api/v1/applications/{name}", headers=admin, json=bad), 400, 3, "sourceRepos")
    odd = {"patch": "{}", "patchType": "strategic"}
    assert_error(api.patch(f"/api/v1/applications/{name}", headers=admin, json=odd), 400, 3, "not supported")


@pytest.mark.parametrize(
    ("query", "finalizer"),
    [
        ("", "resources-finalizer.argocd.argoproj.io"),
        ("?propagationPolicy=background", "resources-finalizer.argocd.argoproj.io/background"),
        ("?cascade=false", None),
    ],
)
def test_delete_sets_the_finalizer_as_argo_cd(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane, query: str, finalizer: str | None
) -> None:
    name = _name()
    app = application(name)
    # a finalizer of our own keeps the object around so the result can be read back
    app["metadata"]["finalizers"] = ["test.argosy.io/hold", "resources-finalizer.argocd.argoproj.io"]
    control_plane.apply(app)
    assert api.delete(f"/api/v1/applications/{name}{query}", headers=admin).status_code == 200
    stored = control_plane.get("applications.argoproj.io", name)
    assert stored["metadata"]["deletionTimestamp"]
    expected = ["test.argosy.io/hold"] + ([finalizer] if finalizer else [])
    assert stored["metadata"]["finalizers"] == expected
    control_plane.patch_app(name, {"metadata": {"finalizers": None}})


def test_events_and_status_views(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    name = _name()
    control_plane.apply(application(name))
    uid = control_plane.get("applications.argoproj.io", name)["metadata"]["uid"]
    control_plane.apply(
        {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": f"{name}.1"},
            "involvedObject": {
                "kind": "Application",
                "name": name,
                "namespace": control_plane.namespace,
                "uid": uid,
                "apiVersion": "argoproj.io/v1alpha1",
            },
            "reason": "OperationStarted",
            "message": "admin initiated sync",
            "type": "Normal",
        }
    )
    events = api.get(f"/api/v1/applications/{name}/events", headers=admin).json()["items"]
    assert [e["reason"] for e in events] == ["OperationStarted"]
    secret = {"version": "v1", "kind": "Secret", "namespace": "guestbook", "name": "creds"}
    deployment = {
        "group": "apps",
        "version": "v1",
        "kind": "Deployment",
        "namespace": "guestbook",
        "name": "web",
    }
    resources = [
        {**secret, "status": "OutOfSync"},
        {**deployment, "status": "Synced", "health": {"status": "Healthy"}},
    ]
    control_plane.patch_app(name, {"status": {"resources": resources}})
    tree = api.get(f"/api/v1/applications/{name}/resource-tree", headers=admin).json()["nodes"]
    assert [(n["kind"], n["name"]) for n in tree] == [("Secret", "creds"), ("Deployment", "web")]
    assert tree[1]["health"] == {"status": "Healthy"}
    # /manifests and /managed-resources render and compare for real: see test_app_state.py.


def _read_events(resp: httpx.Response, out: list[dict[str, Any]], stop: threading.Event) -> None:
    try:
        for line in resp.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[len("data: ") :])["result"])
            if stop.is_set():
                return
    except httpx.HTTPError:
        return  # the test closed the stream


def test_stream_sends_changes_the_caller_may_see(
    server: Any,
    control_plane: ControlPlane,
    set_password: Callable[[str, str], None],
    login: Callable[[str, str], str],
) -> None:
    """michele (the seed's guest: get on default/*) sees default apps only, live."""
    visible, hidden = _name(), _name()
    control_plane.apply(application(visible))
    control_plane.apply(application(hidden, project="restricted"))
    set_password("michele", "michele-stream-1")
    michele = bearer(login("michele", "michele-stream-1"))
    received: list[dict[str, Any]] = []
    stop = threading.Event()
    with (
        httpx.Client(base_url=server.url, timeout=30) as client,
        client.stream("GET", "/api/v1/stream/applications", headers=michele) as resp,
    ):
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        reader = threading.Thread(target=_read_events, args=(resp, received, stop), daemon=True)
        reader.start()
        deadline = time.monotonic() + 10
        while not any(e["application"]["metadata"]["name"] == visible for e in received):
            assert time.monotonic() < deadline, received
            time.sleep(0.05)
        control_plane.cluster.kubectl(
            "label", "applications.argoproj.io", visible, hidden, "-n", control_plane.namespace, "touched=yes"
        )
        while not any(
            e["type"] == "MODIFIED" and e["application"]["metadata"]["name"] == visible for e in received
        ):
            assert time.monotonic() < deadline, received
            time.sleep(0.05)
        stop.set()
    names = {e["application"]["metadata"]["name"] for e in received}
    assert visible in names and hidden not in names


def test_a_stopping_server_does_not_wait_for_open_streams(
    control_plane: ControlPlane, admin: dict[str, str]
) -> None:
    """A browser tab keeps ``/api/v1/stream/applications`` open for ever: stopping the server
    (SIGTERM in a Deployment) must still end it within the graceful-shutdown bound, not hang."""
    srv = start_server(control_plane)
    try:
        with (
            httpx.Client(base_url=srv.url, timeout=30) as client,
            client.stream("GET", "/api/v1/stream/applications", headers=admin) as resp,
        ):
            assert resp.status_code == 200
            srv.stop()  # joins the server's thread for at most 10 s
            assert not srv.thread.is_alive(), "the server still waits for the open stream"
    finally:
        srv.stop()


def test_syncwindows_reports_an_active_deny_window_and_that_a_sync_would_be_refused(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    deny = {"kind": "deny", "schedule": "* * * * *", "duration": "1h", "applications": ["*"]}
    later = {"kind": "allow", "schedule": "0 3 * * *", "duration": "1m", "namespaces": ["elsewhere"]}
    control_plane.apply(project("frozen", syncWindows=[deny, later]))
    name = _name()
    control_plane.apply(application(name, project="frozen"))
    resp = api.get(f"/api/v1/applications/{name}/syncwindows", headers=admin)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["canSync"] is False
    assert body["assignedWindows"] == [deny]  # the allow window targets another namespace
    assert body["activeWindows"] == [deny]
    assert "deny window #0" in body["reason"]
    # The sync route refuses with the same explanation.
    refused = api.post(f"/api/v1/applications/{name}/sync", headers=admin, json={})
    assert_error(refused, 403, 7, body["reason"])


def test_sync_refuses_an_unreadable_retry_backoff_naming_the_field(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    name = _name()
    control_plane.apply(application(name))
    retry = {"limit": 2, "backoff": {"duration": "5 sec", "factor": 2, "maxDuration": "3m"}}
    resp = api.post(f"/api/v1/applications/{name}/sync", headers=admin, json={"retryStrategy": retry})
    assert_error(resp, 400, 3, "retryStrategy.backoff.duration", "'5 sec' is not a duration")
    assert "operation" not in api.get(f"/api/v1/applications/{name}", headers=admin).json()
