"""Authentication under attack, against a real API server: forged tokens, stale tokens, CSRF.

Every forged token is tried as a bearer token and as the browser's cookie, on
a read and on a write. Tokens signed with the server's real key (taken from
``argocd-secret``, as an attacker who read it once would) but with a wrong
issuer, an audience, an expiry in the past or for an account that no longer
exists are refused too: the key alone does not make a token stand.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from argosy.server.run import BackgroundServer
from support.api_server import (
    ACCOUNTS,
    ControlPlane,
    application,
    assert_error,
    bearer,
    project,
    server_clock,
    start_server,
)

EXTRA_ACCOUNTS = {"accounts.brute": "login", "accounts.temp": "apiKey, login", "accounts.cookie": "login"}
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = RSA_KEY.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)


@pytest.fixture(scope="module", autouse=True)
def accounts(control_plane: ControlPlane) -> None:
    control_plane.set_cm({**ACCOUNTS, **EXTRA_ACCOUNTS})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _hand_signed(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    """A JWT built by hand (PyJWT refuses to make some of these): HMAC-SHA256 with ``key``, or unsigned."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if key is None:
        return f"{signing_input}."
    return f"{signing_input}.{_b64(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


def forged_tokens(key: bytes) -> dict[str, str]:
    now = int(time.time())
    good = {"iss": "argocd", "sub": "admin:login", "iat": now, "nbf": now, "exp": now + 600, "jti": "x"}
    return {
        "alg none": _hand_signed({"alg": "none", "typ": "JWT"}, good, None),
        "alg None (case)": _hand_signed({"alg": "None", "typ": "JWT"}, good, None),
        "RS256 where HS256 is expected": jwt.encode(good, RSA_KEY, algorithm="RS256"),
        "HS256 keyed with a public key": _hand_signed({"alg": "HS256", "typ": "JWT"}, good, PUBLIC_PEM),
        "HS512 with the real key": jwt.encode(good, key, algorithm="HS512"),
        "wrong issuer, real key": jwt.encode({**good, "iss": "dex"}, key, algorithm="HS256"),
        "an audience, real key": jwt.encode({**good, "aud": "kubernetes"}, key, algorithm="HS256"),
        "expired, real key": jwt.encode(
            {**good, "iat": now - 7200, "nbf": now - 7200, "exp": now - 3600}, key
        ),
        "not yet valid, real key": jwt.encode(
            {**good, "iat": now, "nbf": now + 3600}, key, algorithm="HS256"
        ),
        "deleted account, real key": jwt.encode({**good, "sub": "gone:login"}, key, algorithm="HS256"),
        "no jti, real key": jwt.encode({k: v for k, v in good.items() if k != "jti"}, key, algorithm="HS256"),
        "unlisted API token, real key": jwt.encode({**good, "sub": "temp:apiKey"}, key, algorithm="HS256"),
        "project that does not exist": jwt.encode({**good, "sub": "proj:nope:ci"}, key, algorithm="HS256"),
    }


def test_forged_and_confused_tokens_are_refused_as_bearer_and_cookie(
    api: httpx.Client, server: BackgroundServer
) -> None:
    tokens = forged_tokens(server.ctx.settings.signing_key())
    new_app = application(f"forged-{uuid.uuid4().hex[:6]}")
    tried = 0
    for what, token in tokens.items():
        for headers in (bearer(token), {"Cookie": f"argocd.token={token}"}):
            read = api.get("/api/v1/applications", headers=headers)
            write = api.post("/api/v1/applications", headers=headers, json=new_app)
            for resp in (read, write):
                assert resp.status_code == 401, f"{what}: {resp.status_code} {resp.text}"
                assert token not in resp.text, f"{what}: the answer echoes the token"
                tried += 1
        info = api.get("/api/v1/session/userinfo", headers=bearer(token)).json()
        assert info == {"loggedIn": False}, what
    assert tried == 4 * len(tokens)
    assert (
        api.get(f"/api/v1/applications/{new_app['metadata']['name']}", headers=bearer("x")).status_code == 401
    )


def test_a_deleted_account_loses_its_sessions_and_api_tokens(
    api: httpx.Client,
    control_plane: ControlPlane,
    admin: dict[str, str],
    set_password: Callable[[str, str], None],
    login: Callable[[str, str], str],
) -> None:
    set_password("temp", "temp-password-1")
    session = login("temp", "temp-password-1")
    created = api.post("/api/v1/account/temp/token", headers=admin, json={"id": "temp-ci"})
    assert created.status_code == 200, created.text
    api_token = created.json()["token"]
    for token in (session, api_token):
        assert api.get("/api/v1/session/userinfo", headers=bearer(token)).json()["loggedIn"] is True
    control_plane.set_cm({**ACCOUNTS, **{k: v for k, v in EXTRA_ACCOUNTS.items() if "temp" not in k}})
    try:
        for token in (session, api_token):
            assert_error(api.get("/api/v1/account", headers=bearer(token)), 401, 16, "does not exist")
    finally:
        control_plane.set_cm({**ACCOUNTS, **EXTRA_ACCOUNTS})


@pytest.fixture(scope="module")
def two_projects(control_plane: ControlPlane) -> Iterator[None]:
    role = {
        "name": "ci",
        "policies": ["p, proj:team-a:ci, applications, *, team-a/*, allow"],
    }
    control_plane.apply(project("team-a", roles=[role]))
    control_plane.apply(project("team-b", roles=[{"name": "ci", "policies": []}]))
    control_plane.apply(application("app-a", project="team-a"))
    control_plane.apply(application("app-b", project="team-b"))
    yield


@pytest.mark.usefixtures("two_projects")
def test_a_project_token_works_only_inside_its_project(
    api: httpx.Client, control_plane: ControlPlane, admin: dict[str, str]
) -> None:
    resp = api.post("/api/v1/projects/team-a/roles/ci/token", headers=admin, json={"id": "ci-1"})
    assert resp.status_code == 200, resp.text
    token = bearer(resp.json()["token"])
    assert api.get("/api/v1/applications/app-a", headers=token).status_code == 200
    names = [a["metadata"]["name"] for a in api.get("/api/v1/applications", headers=token).json()["items"]]
    assert names == ["app-a"]
    outside = [
        api.get("/api/v1/applications/app-b", headers=token),
        api.post("/api/v1/applications/app-b/sync", headers=token, json={}),
        api.delete("/api/v1/applications/app-b", headers=token),
        api.post("/api/v1/applications", headers=token, json=application("sneaky", project="team-b")),
        api.put("/api/v1/projects/team-a", headers=token, json={"project": project("team-a")}),
        api.post("/api/v1/projects/team-b/roles/ci/token", headers=token, json={}),
        api.get("/api/v1/projects/team-b", headers=token),
    ]
    for resp in outside:
        assert resp.status_code == 403, (
            f"{resp.request.method} {resp.request.url}: {resp.status_code} {resp.text}"
        )
    # A policy line reaching into another project, written past the API's validation, grants nothing.
    escaping = "p, proj:team-a:ci, applications, get, team-b/*, allow"
    patch = [{"op": "add", "path": "/spec/roles/0/policies/-", "value": escaping}]
    control_plane.cluster.kubectl(
        "patch", "appproject", "team-a", "-n", control_plane.namespace, "--type=json", "-p", json.dumps(patch)
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # wait until the server has seen the patched project
        live = api.get("/api/v1/projects/team-a", headers=admin).json()
        if escaping in live["spec"]["roles"][0]["policies"]:
            break
        time.sleep(0.2)
    assert api.get("/api/v1/applications/app-b", headers=token).status_code == 403
    # Removing the token from the project revokes it.
    iat = api.get("/api/v1/projects/team-a", headers=admin).json()["spec"]["roles"][0]["jwtTokens"][0]["iat"]
    assert api.delete(f"/api/v1/projects/team-a/roles/ci/token/{iat}", headers=admin).status_code == 200
    assert_error(api.get("/api/v1/applications/app-a", headers=token), 401, 16, "revoked")


def test_a_burst_of_wrong_passwords_locks_the_name_not_the_server(
    api: httpx.Client, set_password: Callable[[str, str], None], login: Callable[[str, str], str]
) -> None:
    set_password("brute", "brute-password-1")

    def attempt(i: int) -> int:
        body = {"username": "brute", "password": f"guess-{i:04d}"}
        return api.post("/api/v1/session", json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(attempt, range(40)))
    assert statuses == [401] * 40
    refused = api.post("/api/v1/session", json={"username": "brute", "password": "brute-password-1"})
    assert_error(refused, 401, 16, "Invalid username or password")
    set_password("cookie", "cookie-password-1")
    assert login("cookie", "cookie-password-1"), "another user must still log in"


def test_a_password_change_ends_every_earlier_session(
    api: httpx.Client,
    server: BackgroundServer,
    set_password: Callable[[str, str], None],
    login: Callable[[str, str], str],
) -> None:
    """Judged on the server's clock: the change is a second after the logins, however slow the machine."""
    set_password("cookie", "cookie-password-1")
    start = time.time()
    with server_clock(server, start):
        sessions = [login("cookie", "cookie-password-1") for _ in range(3)]
    with server_clock(server, start + 1):
        changed = api.put(
            "/api/v1/account/password",
            headers=bearer(sessions[0]),
            json={"currentPassword": "cookie-password-1", "newPassword": "cookie-password-2"},
        )
        assert changed.status_code == 200, changed.text
        for token in sessions:
            assert_error(api.get("/api/v1/account", headers=bearer(token)), 401, 16, "password has changed")
        fresh = login("cookie", "cookie-password-2")
        assert api.get("/api/v1/account", headers=bearer(fresh)).status_code == 200
    set_password("cookie", "cookie-password-1")


def _cookie_attributes(resp: httpx.Response) -> set[str]:
    """``{"httponly", "secure", "samesite=lax", "path", ...}`` of the ``argocd.token`` Set-Cookie."""
    header = next(v for k, v in resp.headers.multi_items() if k == "set-cookie" and "argocd.token=" in v)
    out = set()
    for part in header.split(";")[1:]:
        key, _, value = part.strip().lower().partition("=")
        out.add(f"{key}={value}" if key == "samesite" else key)
    return out


def test_the_session_cookie_is_httponly_samesite_and_secure_under_tls(
    api: httpx.Client, control_plane: ControlPlane, set_password: Callable[[str, str], None]
) -> None:
    set_password("cookie", "cookie-password-1")
    body = {"username": "cookie", "password": "cookie-password-1"}
    plain = api.post("/api/v1/session", json=body)
    assert {"httponly", "samesite=lax", "path"} <= _cookie_attributes(plain)
    assert "secure" not in _cookie_attributes(plain)  # a Secure cookie would never come back over HTTP
    tls = start_server(control_plane, insecure=False)
    try:
        with httpx.Client(base_url=tls.url, verify=False, timeout=30) as client:
            resp = client.post("/api/v1/session", json=body)
            assert resp.status_code == 200, resp.text
            assert {"httponly", "secure", "samesite=lax", "path"} <= _cookie_attributes(resp)
            logout = client.delete(
                "/api/v1/session",
                headers={**bearer(resp.json()["token"]), "Content-Type": "application/json"},
            )
            cleared = next(
                v for k, v in logout.headers.multi_items() if k == "set-cookie" and "argocd.token=" in v
            )
            assert "max-age=0" in cleared.lower() or "expires=" in cleared.lower()
    finally:
        tls.stop()


def test_cookie_authenticated_writes_must_be_json_so_a_form_cannot_forge_them(
    api: httpx.Client,
    set_password: Callable[[str, str], None],
    login: Callable[[str, str], str],
    admin: dict[str, str],
) -> None:
    cookie = {"Cookie": f"argocd.token={admin['Authorization'].split()[1]}"}
    name = f"csrf-{uuid.uuid4().hex[:6]}"
    body = json.dumps(application(name))
    for content_type in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ):
        forged = api.post(
            "/api/v1/applications", headers={**cookie, "Content-Type": content_type}, content=body
        )
        assert forged.status_code == 415, f"{content_type}: {forged.status_code} {forged.text}"
    assert api.get(f"/api/v1/applications/{name}", headers=admin).status_code == 404
    login_csrf = api.post(
        "/api/v1/session",
        headers={"Content-Type": "text/plain", "Origin": "https://evil.example.com"},
        content=json.dumps({"username": "cookie", "password": "cookie-password-1"}),
    )
    assert login_csrf.status_code == 415, login_csrf.text
    assert api.delete(f"/api/v1/applications/{name}", headers=cookie).status_code == 415
    # What the UI sends works; so does the CLI's bearer token with curl's form content type.
    made = api.post(
        "/api/v1/applications", headers={**cookie, "Content-Type": "application/json"}, content=body
    )
    assert made.status_code == 200, made.text
    gone = api.delete(f"/api/v1/applications/{name}", headers={**admin, "Content-Type": "text/plain"})
    assert gone.status_code == 200, gone.text
