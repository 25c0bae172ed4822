"""``/manifests`` and ``/managed-resources`` render a real Git repo and compare with the real cluster.

The app's source is a ``file://`` Git repository; the server renders it with
its in-process repo service and reads live objects from the local cluster, so
these tests see exactly what ``argosy app manifests`` and ``argosy app diff``
print through the server. Secret values must never appear, in clear or base64.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from support.api_server import PASSWORD, ControlPlane, application, assert_error, bearer
from support.gitrepo import GitRepo

GIT_SECRET, LIVE_SECRET = "git-secret-value-1234", "live-secret-value-5678"


def _cm(name: str, greeting: str) -> str:
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  greeting: {greeting}\n"


def _secret(value: str) -> str:
    encoded = base64.b64encode(value.encode()).decode()
    head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\ntype: Opaque\n"
    return f"{head}data:\n  password: {encoded}\n"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    git = GitRepo(tmp_path_factory.mktemp("git") / "state.git")
    git.commit({"app/cm.yaml": _cm("web-config", "hello-v1")}, message="first")
    git.commit({"app/cm.yaml": _cm("web-config", "hello"), "app/secret.yaml": _secret(GIT_SECRET)})
    git.commit({"app/extra.yaml": _cm("only-in-git", "new")}, message="third")
    return git


def _app(control_plane: ControlPlane, repo: GitRepo) -> tuple[str, str]:
    name = f"state-{uuid.uuid4().hex[:6]}"
    dest = f"{control_plane.namespace}-{name}"
    app = application(name, repo=f"file://{repo.bare}")
    app["spec"]["source"] = {"repoURL": f"file://{repo.bare}", "path": "app", "targetRevision": "main"}
    app["spec"]["destination"]["namespace"] = dest
    control_plane.apply(app)
    return name, dest


def _never_in(text: str) -> None:
    for value in (GIT_SECRET, LIVE_SECRET):
        assert value not in text
        assert base64.b64encode(value.encode()).decode() not in text


def _by_name(manifests: list[str]) -> dict[str, dict[str, Any]]:
    objects = [json.loads(m) for m in manifests]
    return {o["metadata"]["name"]: o for o in objects}


def test_manifests_render_the_git_source_at_a_revision_with_secrets_masked(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane, repo: GitRepo
) -> None:
    name, dest = _app(control_plane, repo)
    resp = api.get(f"/api/v1/applications/{name}/manifests", headers=admin)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["revision"] == repo.sha("main")
    assert body["sourceType"] == "Directory"
    assert (body["namespace"], body["server"]) == (dest, "https://kubernetes.default.svc")
    objects = _by_name(body["manifests"])
    assert set(objects) == {"web-config", "creds", "only-in-git"}
    assert objects["web-config"]["data"] == {"greeting": "hello"}
    assert set(objects["creds"]["data"]["password"]) == {"+"}
    _never_in(resp.text)

    first = repo.sha("main~2")
    old = api.get(f"/api/v1/applications/{name}/manifests", params={"revision": first}, headers=admin)
    assert old.status_code == 200, old.text
    assert old.json()["revision"] == first
    assert {n: o["data"] for n, o in _by_name(old.json()["manifests"]).items()} == {
        "web-config": {"greeting": "hello-v1"}
    }

    missing = api.get(
        f"/api/v1/applications/{name}/manifests", params={"revision": "no-such-branch"}, headers=admin
    )
    assert missing.status_code == 400, missing.text
    assert "no-such-branch" in missing.json()["message"]


def test_managed_resources_show_drift_and_mask_secrets(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane, repo: GitRepo
) -> None:
    name, dest = _app(control_plane, repo)
    cluster = control_plane.cluster
    cluster.kubectl("create", "namespace", dest)
    try:
        cluster.kubectl("apply", "-n", dest, "-f", "-", stdin=_cm("web-config", "drifted"))
        cluster.kubectl("apply", "-n", dest, "-f", "-", stdin=_secret(LIVE_SECRET))
        resp = api.get(f"/api/v1/applications/{name}/managed-resources", headers=admin)
    finally:
        cluster.kubectl("delete", "namespace", dest, "--wait=false", check=False)
    assert resp.status_code == 200, resp.text
    _never_in(resp.text)
    items = {i["name"]: i for i in resp.json()["items"]}
    assert set(items) == {"web-config", "creds", "only-in-git"}
    for item in items.values():
        assert isinstance(item["targetState"], str) and isinstance(item["liveState"], str)

    cm = items["web-config"]
    assert (cm["group"], cm["kind"], cm["namespace"], cm["modified"]) == ("", "ConfigMap", dest, True)
    assert cm["resourceVersion"]
    assert json.loads(cm["targetState"])["data"] == {"greeting": "hello"}
    assert json.loads(cm["liveState"])["data"] == {"greeting": "drifted"}
    assert json.loads(cm["normalizedLiveState"])["data"]["greeting"] == "drifted"
    assert json.loads(cm["predictedLiveState"])["data"]["greeting"] == "hello"

    secret = items["creds"]
    assert secret["modified"] is True
    live = json.loads(secret["normalizedLiveState"])["data"]["password"]
    predicted = json.loads(secret["predictedLiveState"])["data"]["password"]
    assert set(live) == set(predicted) == {"+"} and live != predicted  # changed, yet unreadable

    missing = items["only-in-git"]
    assert missing["liveState"] == "null" and missing["modified"] is True


def test_reading_state_needs_get_on_the_app(
    api: httpx.Client,
    control_plane: ControlPlane,
    repo: GitRepo,
    login: Callable[[str, str], str],
    set_password: Callable[[str, str], None],
) -> None:
    name, _ = _app(control_plane, repo)
    set_password("nobody", PASSWORD)
    nobody = bearer(login("nobody", PASSWORD))
    for view in ("manifests", "managed-resources"):
        denied = api.get(f"/api/v1/applications/{name}/{view}", headers=nobody)
        assert_error(denied, 403, 7, "applications, get")
