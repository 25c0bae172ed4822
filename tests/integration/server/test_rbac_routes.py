"""RBAC through the API: 401 without credentials and 403 without permission on every route,
list routes filtered, and the seed's policies (guest michele, project admins, project tokens)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from support.api_server import SEED_POLICY, ControlPlane, application, assert_error, bearer, project

CLUSTER_SERVER = "https://10.0.0.1:6443"
REPO_URL = "https://git.example.com/team/app.git"


@pytest.fixture(scope="module")
def objects(control_plane: ControlPlane, api: httpx.Client, admin: dict[str, str]) -> Iterator[None]:
    control_plane.apply(
        project(
            "time-coffee",
            roles=[
                {
                    "name": "ci",
                    "policies": ["p, proj:time-coffee:ci, applications, get, time-coffee/*, allow"],
                }
            ],
        )
    )
    for app in (
        application("simple-app"),
        application("other-app"),
        application("tc-app", project="time-coffee"),
    ):
        control_plane.apply(app)
    control_plane.apply(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "c1", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
            "stringData": {
                "server": CLUSTER_SERVER,
                "name": "c1",
                "config": json.dumps({"bearerToken": "t0p"}),
            },
        }
    )
    resp = api.post("/api/v1/repositories", headers=admin, json={"repo": REPO_URL, "password": "hunter22"})
    assert resp.status_code == 200, resp.text
    yield


@pytest.fixture(scope="module")
def user(
    objects: None, set_password: Callable[[str, str], None], login: Callable[[str, str], str]
) -> Callable[[str], dict[str, str]]:
    tokens: dict[str, dict[str, str]] = {}

    def get(name: str) -> dict[str, str]:
        if name not in tokens:
            set_password(name, f"{name}-password")
            tokens[name] = bearer(login(name, f"{name}-password"))
        return tokens[name]

    return get


SYNC = {"revision": "HEAD"}
ACTION_REF = {"namespace": "guestbook", "resourceName": "web", "group": "apps", "kind": "Deployment"}
ACTION_QUERY = "&".join(f"{k}={v}" for k, v in ACTION_REF.items())
# (method, path, json body) of every authenticated route, on objects that exist.
ROUTES: list[tuple[str, str, Any]] = [
    ("DELETE", "/api/v1/session", None),
    ("GET", "/api/v1/account", None),
    ("GET", "/api/v1/account/can-i/applications/get/default/simple-app", None),
    ("PUT", "/api/v1/account/password", {"name": "alice", "currentPassword": "x", "newPassword": "y"}),
    ("GET", "/api/v1/account/alice", None),
    ("POST", "/api/v1/account/alice/token", {}),
    ("DELETE", "/api/v1/account/alice/token/some-id", None),
    ("GET", "/api/v1/applications", None),
    ("POST", "/api/v1/applications", application("new-app")),
    ("GET", "/api/v1/applications/simple-app", None),
    ("PUT", "/api/v1/applications/simple-app", application("simple-app")),
    ("PUT", "/api/v1/applications/simple-app/spec", application("simple-app")["spec"]),
    ("PATCH", "/api/v1/applications/simple-app", {"patch": '{"spec":{}}', "patchType": "merge"}),
    ("DELETE", "/api/v1/applications/simple-app", None),
    ("POST", "/api/v1/applications/simple-app/sync", SYNC),
    ("POST", "/api/v1/applications/simple-app/rollback", {"id": 1}),
    ("DELETE", "/api/v1/applications/simple-app/operation", None),
    ("GET", "/api/v1/applications/simple-app/manifests", None),
    ("GET", "/api/v1/applications/simple-app/managed-resources", None),
    ("GET", "/api/v1/applications/simple-app/resource-tree", None),
    ("GET", "/api/v1/applications/simple-app/events", None),
    ("GET", "/api/v1/applications/simple-app/syncwindows", None),
    ("GET", f"/api/v1/applications/simple-app/resource/actions?{ACTION_QUERY}", None),
    ("POST", f"/api/v1/applications/simple-app/resource/actions?{ACTION_QUERY}", "restart"),
    ("POST", "/api/v1/applications/simple-app/resource/actions/v2", {**ACTION_REF, "action": "restart"}),
    ("GET", "/api/v1/applications/simple-app/logs", None),
    ("GET", "/api/v1/stream/applications", None),
    ("GET", "/api/v1/stream/applications/simple-app/resource-tree", None),
    ("GET", "/api/v1/projects", None),
    ("POST", "/api/v1/projects", {"project": project("new-proj")}),
    ("GET", "/api/v1/projects/time-coffee", None),
    ("PUT", "/api/v1/projects/time-coffee", {"project": project("time-coffee")}),
    ("DELETE", "/api/v1/projects/time-coffee", None),
    ("POST", "/api/v1/projects/time-coffee/roles/ci/token", {}),
    ("DELETE", "/api/v1/projects/time-coffee/roles/ci/token/1", None),
    ("GET", "/api/v1/clusters", None),
    ("POST", "/api/v1/clusters", {"server": "https://10.9.9.9:6443", "name": "x"}),
    ("GET", f"/api/v1/clusters/{quote(CLUSTER_SERVER, safe='')}", None),
    ("DELETE", f"/api/v1/clusters/{quote(CLUSTER_SERVER, safe='')}", None),
    ("GET", "/api/v1/repositories", None),
    ("POST", "/api/v1/repositories", {"repo": "https://git.example.com/other.git"}),
    ("DELETE", f"/api/v1/repositories/{quote(REPO_URL, safe='')}", None),
]
# Routes an account may use on itself or that answer with a filtered list or a no.
SELF_OR_FILTERED = {
    ("DELETE", "/api/v1/session"),
    ("GET", "/api/v1/account"),
    ("GET", "/api/v1/account/can-i/applications/get/default/simple-app"),
    ("GET", "/api/v1/applications"),
    ("GET", "/api/v1/stream/applications"),
    ("GET", "/api/v1/projects"),
    ("GET", "/api/v1/clusters"),
    ("GET", "/api/v1/repositories"),
}


def _call(api: httpx.Client, method: str, path: str, body: Any, headers: dict[str, str]) -> httpx.Response:
    if path.startswith("/api/v1/stream/"):
        with api.stream(method, path, headers=headers, timeout=10) as resp:
            if resp.status_code != 200:
                resp.read()
            return resp
    return api.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_401_without_credentials(api: httpx.Client, objects: None, method: str, path: str, body: Any) -> None:
    assert_error(_call(api, method, path, body, {}), 401, 16, "no session information")
    bad = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"}
    assert_error(_call(api, method, path, body, bad), 401, 16, "invalid session")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [r for r in ROUTES if (r[0], r[1]) not in SELF_OR_FILTERED],
    ids=[f"{m} {p}" for m, p, _ in ROUTES if (m, p) not in SELF_OR_FILTERED],
)
def test_403_without_permission(
    api: httpx.Client, user: Callable[[str], dict[str, str]], method: str, path: str, body: Any
) -> None:
    assert_error(_call(api, method, path, body, user("nobody")), 403, 7, "permission denied")


def test_lists_are_filtered_for_a_user_without_permissions(
    api: httpx.Client, user: Callable[[str], dict[str, str]]
) -> None:
    headers = user("nobody")
    for path in ("/api/v1/applications", "/api/v1/projects", "/api/v1/clusters", "/api/v1/repositories"):
        resp = api.get(path, headers=headers)
        assert resp.status_code == 200 and resp.json()["items"] == [], (path, resp.text)
    accounts = api.get("/api/v1/account", headers=headers).json()["items"]
    assert [a["name"] for a in accounts] == ["nobody"]
    can = api.get("/api/v1/account/can-i/applications/get/default/simple-app", headers=headers)
    assert can.json() == {"value": "no"}


def test_public_routes(api: httpx.Client) -> None:
    assert api.get("/healthz").text == "ok"
    assert api.get("/api/version").json()["Version"].startswith("v")
    assert api.get("/api/v1/settings").json()["appLabelKey"] == "app.kubernetes.io/instance"
    assert api.get("/api/v1/session/userinfo").json() == {"loggedIn": False}
    for path in ("/openapi.json", "/swagger.json"):
        assert "/api/v1/applications/{name}/sync" in api.get(path).json()["paths"]


def test_repositories_and_clusters_never_leak_credentials(
    api: httpx.Client, admin: dict[str, str], objects: None
) -> None:
    for path in ("/api/v1/repositories", "/api/v1/clusters"):
        text = api.get(path, headers=admin).text
        assert "hunter22" not in text and "t0p" not in text
    repos = api.get("/api/v1/repositories", headers=admin).json()["items"]
    assert [r["repo"] for r in repos] == [REPO_URL]
    clusters = {c["server"]: c for c in api.get("/api/v1/clusters", headers=admin).json()["items"]}
    assert clusters[CLUSTER_SERVER]["name"] == "c1"
    assert "https://kubernetes.default.svc" in clusters


def _names(resp: httpx.Response) -> list[str]:
    assert resp.status_code == 200, resp.text
    return sorted(a["metadata"]["name"] for a in resp.json()["items"])


def test_seed_guest_sees_but_cannot_sync_until_granted_exactly_one_app(
    api: httpx.Client, control_plane: ControlPlane, user: Callable[[str], dict[str, str]]
) -> None:
    michele = user("michele")
    assert _names(api.get("/api/v1/applications", headers=michele)) == ["other-app", "simple-app"]
    assert api.get("/api/v1/applications/simple-app", headers=michele).status_code == 200
    assert_error(api.get("/api/v1/applications/tc-app", headers=michele), 403, 7)
    denied = api.post("/api/v1/applications/simple-app/sync", headers=michele, json=SYNC)
    assert_error(denied, 403, 7, "applications, sync, default/simple-app")
    control_plane.set_policy(SEED_POLICY + "p, michele, applications, sync, default/simple-app, allow\n")
    try:
        ok = api.post("/api/v1/applications/simple-app/sync", headers=michele, json=SYNC)
        assert ok.status_code == 200, ok.text
        assert ok.json()["operation"]["initiatedBy"] == {"username": "michele"}
        other = api.post("/api/v1/applications/other-app/sync", headers=michele, json=SYNC)
        assert_error(other, 403, 7, "default/other-app")
        assert api.get(
            "/api/v1/account/can-i/applications/sync/default/simple-app", headers=michele
        ).json() == {"value": "yes"}
    finally:
        control_plane.set_policy(SEED_POLICY)
        control_plane.patch_app("simple-app", {"operation": None})


def test_project_admin_role_cannot_touch_other_projects(
    api: httpx.Client, control_plane: ControlPlane, user: Callable[[str], dict[str, str]]
) -> None:
    control_plane.set_policy(
        SEED_POLICY
        + "p, role:time-coffee-admin, *, *, time-coffee/*, allow\ng, tcadmin, role:time-coffee-admin\n"
    )
    try:
        tc = user("tcadmin")
        assert _names(api.get("/api/v1/applications", headers=tc)) == ["tc-app"]
        assert api.get("/api/v1/applications/tc-app/resource-tree", headers=tc).status_code == 200
        for method, path in (
            ("GET", "/api/v1/applications/simple-app"),
            ("POST", "/api/v1/applications/simple-app/sync"),
            ("DELETE", "/api/v1/applications/simple-app"),
        ):
            assert_error(api.request(method, path, headers=tc, json=SYNC), 403, 7)
        # creating an app in another project is refused as well
        assert_error(api.post("/api/v1/applications", headers=tc, json=application("sneaky")), 403, 7)
    finally:
        control_plane.set_policy(SEED_POLICY)


def test_project_token_applies_its_role_and_is_revocable(api: httpx.Client, admin: dict[str, str]) -> None:
    resp = api.post("/api/v1/projects/time-coffee/roles/ci/token", headers=admin, json={"id": "ci-1"})
    assert resp.status_code == 200, resp.text
    token = bearer(resp.json()["token"])
    assert api.get("/api/v1/applications/tc-app", headers=token).status_code == 200
    assert _names(api.get("/api/v1/applications", headers=token)) == ["tc-app"]
    assert_error(api.get("/api/v1/applications/simple-app", headers=token), 403, 7)
    assert_error(api.post("/api/v1/applications/tc-app/sync", headers=token, json=SYNC), 403, 7)
    proj = api.get("/api/v1/projects/time-coffee", headers=admin).json()
    iat = proj["spec"]["roles"][0]["jwtTokens"][0]["iat"]
    assert (
        api.delete(f"/api/v1/projects/time-coffee/roles/ci/token/{iat}?id=ci-1", headers=admin).status_code
        == 200
    )
    assert_error(api.get("/api/v1/applications/tc-app", headers=token), 401, 16, "revoked")


def test_a_malformed_repository_secret_is_listed_as_failed_not_dropped(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    broken = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "broken-repo", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
        "stringData": {
            "url": "https://git.example.com/broken.git",
            "insecure": "maybe",
            "password": "s3cr3t",
        },
    }
    control_plane.apply(broken)
    try:
        repos = api.get("/api/v1/repositories", headers=admin)
        assert "s3cr3t" not in repos.text
        entry = next(r for r in repos.json()["items"] if r["repo"] == "https://git.example.com/broken.git")
        assert entry["connectionState"]["status"] == "Failed"
        assert "key 'insecure': 'maybe' is not a boolean" in entry["connectionState"]["message"]
        assert "broken-repo" in entry["connectionState"]["message"]
    finally:
        control_plane.cluster.kubectl("delete", "secret", "broken-repo", "-n", control_plane.namespace)
