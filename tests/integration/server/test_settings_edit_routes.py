"""What the Settings page edits through the API: credential templates (``/api/v1/repocreds``) are
added, listed without their secrets, refused as Argo CD refuses (401 without a session, 403 without
``repositories`` rights) and deleted; a project's sync windows are validated at create/update; the
public ``/api/v1/settings`` counts resource overrides and exclusions; "test connection"
(``POST /api/v1/repositories/{repo}/validate``) reaches a real Git server through the repo server."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from urllib.parse import quote

import httpx

from support.api_server import ControlPlane, assert_error, bearer
from support.git_server import GitHttpServer
from support.naming import GIT_USER

PREFIX = "https://git.example.com/team-creds/"
PASSWORD = "creds-pa55-never-shown"
SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nnever-shown-key\n-----END OPENSSH PRIVATE KEY-----\n"


def test_a_template_is_added_listed_without_secrets_and_deleted(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    body = {"url": PREFIX, "username": "bot", "password": PASSWORD}
    resp = api.post("/api/v1/repocreds", headers=admin, json=body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["url"] == PREFIX and resp.json()["hasPassword"] is True
    again = api.post("/api/v1/repocreds", headers=admin, json=body)
    assert_error(again, 400, 3, "already exists", "upsert")
    ssh = {"url": "ssh://git@git.example.com/", "sshPrivateKey": SSH_KEY}
    assert api.post("/api/v1/repocreds", headers=admin, json=ssh).status_code == 200
    listed = api.get("/api/v1/repocreds", headers=admin)
    assert PASSWORD not in listed.text and "never-shown-key" not in listed.text
    by_url = {c["url"]: c for c in listed.json()["items"]}
    assert by_url[PREFIX]["username"] == "bot"
    assert by_url["ssh://git@git.example.com/"]["hasSSHPrivateKey"] is True
    # Stored as Argo CD's repo-creds Secret, which the repo server's template lookup reads.
    secrets = control_plane.cluster.kubectl(
        "get", "secret", "-n", control_plane.namespace, "-l", "argocd.argoproj.io/secret-type=repo-creds",
        "-o", "name",
    ).stdout.split()  # fmt: skip
    assert len(secrets) == 2
    both = {"url": PREFIX, "password": "x", "sshPrivateKey": SSH_KEY}
    assert_error(api.post("/api/v1/repocreds?upsert=true", headers=admin, json=both), 400, 3, "not both")
    for url in (PREFIX, "ssh://git@git.example.com/"):
        assert api.delete(f"/api/v1/repocreds/{quote(url, safe='')}", headers=admin).status_code == 200
    assert api.get("/api/v1/repocreds", headers=admin).json()["items"] == []
    missing = api.delete(f"/api/v1/repocreds/{quote(PREFIX, safe='')}", headers=admin)
    assert_error(missing, 404, 5, "credential template")


def test_rbac_as_argo_cd(
    api: httpx.Client,
    admin: dict[str, str],
    set_password: Callable[[str, str], None],
    login: Callable[[str, str], str],
) -> None:
    assert (
        api.post("/api/v1/repocreds", headers=admin, json={"url": PREFIX, "password": PASSWORD}).status_code
        == 200
    )
    for method, path, body in (
        ("GET", "/api/v1/repocreds", None),
        ("POST", "/api/v1/repocreds", {"url": "https://other.example.com/"}),
        ("DELETE", f"/api/v1/repocreds/{quote(PREFIX, safe='')}", None),
    ):
        assert_error(api.request(method, path, json=body), 401, 16, "no session information")
    set_password("michele", "michele-password")
    guest = bearer(login("michele", "michele-password"))  # role:guest: applications only
    assert api.get("/api/v1/repocreds", headers=guest).json()["items"] == []
    refused = api.post("/api/v1/repocreds", headers=guest, json={"url": "https://other.example.com/"})
    assert_error(refused, 403, 7, "permission denied")
    for url in (PREFIX, "https://missing.example.com/"):  # the same answer: no probing of URLs
        assert_error(
            api.delete(f"/api/v1/repocreds/{quote(url, safe='')}", headers=guest), 403, 7, "permission denied"
        )
    validate = f"/api/v1/repositories/{quote('https://git.example.com/x.git', safe='')}/validate"
    assert_error(api.post(validate, headers=guest, json={}), 403, 7, "permission denied")
    assert api.delete(f"/api/v1/repocreds/{quote(PREFIX, safe='')}", headers=admin).status_code == 200


def test_sync_windows_are_validated_at_create_and_update(api: httpx.Client, admin: dict[str, str]) -> None:
    window = {"kind": "allow", "schedule": "61 * * * *", "duration": "1h", "applications": ["*"]}
    spec = {
        "sourceRepos": ["*"],
        "destinations": [{"server": "*", "namespace": "*"}],
        "syncWindows": [window],
    }
    project = {"metadata": {"name": "windowed"}, "spec": spec}
    refused = api.post("/api/v1/projects", headers=admin, json={"project": project})
    assert_error(refused, 400, 3, "AppProject 'windowed' is invalid", "spec.syncWindows[0].schedule", "61")
    window["schedule"] = "0 22 * * *"
    assert api.post("/api/v1/projects", headers=admin, json={"project": project}).status_code == 200
    window["timeZone"] = "Mars/Olympus"
    refused = api.put("/api/v1/projects/windowed", headers=admin, json={"project": project})
    assert_error(refused, 400, 3, "Mars/Olympus")
    assert api.delete("/api/v1/projects/windowed", headers=admin).status_code == 200


def test_settings_count_overrides_and_exclusions(api: httpx.Client, control_plane: ControlPlane) -> None:
    before = api.get("/api/v1/settings").json()
    data = {
        "resource.customizations.health.apps_Deployment": "hs = {}\nhs.status = 'Healthy'\nreturn hs",
        "resource.exclusions": "- apiGroups: ['']\n  kinds: [Event]\n  clusters: ['*']\n",
        "kustomize.buildOptions": "--enable-helm",
    }
    # A merge patch: the accounts and other keys of argocd-cm stay as they are.
    control_plane.cluster.kubectl(
        "patch", "configmap", "argocd-cm", "-n", control_plane.namespace, "--type", "merge",
        "-p", json.dumps({"data": data}),
    )  # fmt: skip
    after = api.get("/api/v1/settings").json()
    assert after["resourceOverridesCount"] == before["resourceOverridesCount"] + 1
    assert after["resourceExclusionsCount"] == 1
    assert after["kustomizeOptions"] == {"buildOptions": "--enable-helm"}


def test_test_connection_uses_given_then_stored_credentials(
    api: httpx.Client, admin: dict[str, str], git_server: GitHttpServer
) -> None:
    name = f"validate-{uuid.uuid4().hex[:6]}"
    git_server.create_repo(name, private=True).commit({"README": "hi"})
    url = git_server.url(name)
    path = f"/api/v1/repositories/{quote(url, safe='')}/validate"
    refused = api.post(path, headers=admin, json={})
    assert_error(refused, 400, 9, f"unable to connect to repository {url}")
    user, password = GIT_USER
    wrong = api.post(path, headers=admin, json={"username": user, "password": "wrong"})
    assert_error(wrong, 400, 9, "unable to connect")
    assert "wrong" not in wrong.text
    given = api.post(path, headers=admin, json={"username": user, "password": password})
    assert given.status_code == 200 and given.json() == {}, given.text
    # No credentials in the request: the stored template whose URL prefixes the repository's is used.
    prefix = url.rsplit("/", 1)[0] + "/"
    body = {"url": prefix, "username": user, "password": password}
    assert api.post("/api/v1/repocreds?upsert=true", headers=admin, json=body).status_code == 200
    try:
        stored = api.post(path, headers=admin, json={})
        assert stored.status_code == 200, stored.text
        # Not connected yet: tested as it would be saved, so as a Helm repository it has no index.
        as_helm = api.post(path, headers=admin, json={"type": "helm"})
        assert_error(as_helm, 400, 9, f"unable to connect to repository {url}")
    finally:
        api.delete(f"/api/v1/repocreds/{quote(prefix, safe='')}", headers=admin)
    assert_error(api.post(path, json={}), 401, 16, "no session information")
