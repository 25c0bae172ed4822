"""SSO through a real OpenID provider on loopback: the browser flow, groups in RBAC, and refusals."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from argosy.server.run import BackgroundServer
from support.api_server import ACCOUNTS, SEED_POLICY, ControlPlane, application, assert_error, bearer
from support.oidc_provider import WEB_CLIENT_ID, WEB_CLIENT_SECRET, OIDCProvider, User, login_at_provider

ALICE = User("u-alice", "alice", "alice-pass-1", "alice@example.com", ("team-a",))
POLICY = SEED_POLICY + "g, team-a, role:guest\n"
SYNC = {"dryRun": True}


@pytest.fixture(scope="module")
def idp(
    server: BackgroundServer, control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OIDCProvider]:
    provider = OIDCProvider(
        tmp_path_factory.mktemp("idp"), users=(ALICE,), web_redirect=f"{server.url}/auth/callback"
    ).start()
    value = base64.b64encode(WEB_CLIENT_SECRET.encode()).decode()
    control_plane.cluster.kubectl(
        "patch", "secret", "argocd-secret", "-n", control_plane.namespace,
        "-p", json.dumps({"data": {"oidc.clientSecret": value}}),
    )  # fmt: skip
    set_oidc(control_plane, server, provider)
    control_plane.set_policy(POLICY)
    control_plane.apply(application("guestbook"))
    try:
        yield provider
    finally:
        provider.stop()
        control_plane.set_cm(dict(ACCOUNTS))
        control_plane.set_policy(SEED_POLICY)


def set_oidc(
    control_plane: ControlPlane, server: BackgroundServer, idp: OIDCProvider, extra: str = ""
) -> None:
    oidc = (
        f"name: Zitadel\nissuer: {idp.issuer}\nclientID: {WEB_CLIENT_ID}\n"
        f"clientSecret: $oidc.clientSecret\ncliClientID: argosy-cli\n{extra}"
    )
    control_plane.set_cm({**ACCOUNTS, "url": server.url, "oidc.config": oidc})


def browser(server: BackgroundServer) -> httpx.Client:
    return httpx.Client(base_url=server.url, timeout=30)


def start_login(client: httpx.Client) -> str:
    resp = client.get("/auth/login", params={"return_url": "/applications"})
    assert resp.status_code == 303, resp.text
    return str(resp.headers["location"])


def browser_login(server: BackgroundServer) -> tuple[httpx.Client, str]:
    """Log in as alice through the provider; returns the browser and its callback URL."""
    client = browser(server)
    callback = login_at_provider(client, start_login(client), ALICE.username, ALICE.password)
    assert callback.startswith(f"{server.url}/auth/callback?")
    return client, callback


def test_settings_advertise_the_provider_without_the_secret(api: httpx.Client, idp: OIDCProvider) -> None:
    oidc = api.get("/api/v1/settings").json()["oidcConfig"]
    assert oidc["name"] == "Zitadel" and oidc["issuer"] == idp.issuer
    assert oidc["clientID"] == WEB_CLIENT_ID and oidc["cliClientID"] == "argosy-cli"
    assert oidc["scopes"] == ["openid", "profile", "email", "groups"]
    assert WEB_CLIENT_SECRET not in api.get("/api/v1/settings").text


def test_browser_login_maps_groups_into_rbac(
    api: httpx.Client, server: BackgroundServer, idp: OIDCProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client, callback = browser_login(server)
    params = parse_qs(urlsplit(callback).query)
    assert set(params) >= {"code", "state"}
    state_cookie = client.cookies["argocd.oauthstate"]
    done = client.get(callback)
    assert done.status_code == 303 and done.headers["location"] == "/applications", done.text
    token = client.cookies["argocd.token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == idp.issuer and claims["aud"] in (WEB_CLIENT_ID, [WEB_CLIENT_ID])
    info = api.get("/api/v1/session/userinfo", headers=bearer(token)).json()
    assert info == {
        "loggedIn": True,
        "username": "alice@example.com",
        "iss": idp.issuer,
        "groups": ["team-a"],
    }
    # team-a -> role:guest: may get the app, may not sync it.
    assert api.get("/api/v1/applications/guestbook", headers=bearer(token)).status_code == 200
    names = [
        a["metadata"]["name"] for a in api.get("/api/v1/applications", headers=bearer(token)).json()["items"]
    ]
    assert "guestbook" in names
    denied = api.post("/api/v1/applications/guestbook/sync", headers=bearer(token), json=SYNC)
    assert_error(denied, 403, 7, "applications, sync, default/guestbook")
    # The cookie alone is a session, as for the UI.
    assert client.get("/api/v1/applications/guestbook").status_code == 200
    # Nothing secret in the server's logs (the test's own HTTP client traces its cookies; not those):
    # neither the ID token, nor the code, nor the client secret.
    server_records = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name.startswith("argosy.server") for r in server_records)
    logged = "\n".join(r.getMessage() + str(r.__dict__) for r in server_records)
    for secret in (token, params["code"][0], WEB_CLIENT_SECRET):
        assert secret not in logged
    # Replaying the same callback with its state cookie (same state, same code) is refused.
    replay = browser(server).get(callback, headers={"Cookie": f"argocd.oauthstate={state_cookie}"})
    assert_error(replay, 401, 16, "already used")
    # Logging out revokes the session and clears the cookie.
    out = client.get("/auth/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert_error(
        api.get("/api/v1/applications/guestbook", headers=bearer(token)), 401, 16, "revoked, please re-login"
    )


def test_state_mismatch_and_missing_state_are_refused(server: BackgroundServer, idp: OIDCProvider) -> None:
    client, callback = browser_login(server)
    forged = callback.replace("state=", "state=forged")
    assert_error(client.get(forged), 401, 16, "state does not match")
    stranger = browser(server)  # another browser never started this login: no state cookie
    assert_error(stranger.get(callback), 400, 3, "no login in progress")


def test_token_signed_by_an_unknown_key_is_refused(api: httpx.Client, idp: OIDCProvider) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": idp.issuer, "sub": ALICE.id, "aud": WEB_CLIENT_ID, "iat": now, "exp": now + 300,
              "groups": ["team-a", "admins"]}  # fmt: skip
    forged = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "not-the-providers"})
    assert_error(api.get("/api/v1/applications", headers=bearer(forged)), 401, 16, "'not-the-providers'")
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert_error(api.get("/api/v1/applications", headers=bearer(unsigned)), 401, 16, "'none' is not accepted")


def test_provider_errors_are_shown(server: BackgroundServer, idp: OIDCProvider, tmp_path: Path) -> None:
    client = browser(server)
    start_login(client)
    resp = client.get(
        "/auth/callback", params={"error": "access_denied", "error_description": "user said no"}
    )
    assert_error(resp, 401, 16, "refused the login: user said no")


def test_browser_session_is_refreshed_before_it_expires(
    api: httpx.Client, server: BackgroundServer, idp: OIDCProvider, control_plane: ControlPlane
) -> None:
    client, callback = browser_login(server)
    assert client.get(callback).status_code == 303
    first = client.cookies["argocd.token"]
    sealed = client.cookies["argocd.refreshtoken"]
    assert sealed and "." not in sealed  # sealed, not the provider's token as is
    assert client.get("/api/v1/session/userinfo").headers.get_list("set-cookie") == []  # not due yet
    time.sleep(1.1)  # the renewed token gets another iat
    set_oidc(control_plane, server, idp, "refreshTokenThreshold: 1h\n")  # ID tokens live 1 h: due now
    try:
        resp = client.get("/api/v1/session/userinfo")
        assert resp.json()["loggedIn"] is True and resp.json()["groups"] == ["team-a"]
        renewed = client.cookies["argocd.token"]
        assert renewed != first and any("HttpOnly" in c for c in resp.headers.get_list("set-cookie"))
        assert api.get("/api/v1/applications/guestbook", headers=bearer(renewed)).status_code == 200
        # A refresh cookie sealed by another installation is ignored: the session goes on unchanged.
        stranger = browser(server)
        headers = {"Cookie": f"argocd.token={renewed}; argocd.refreshtoken=not-sealed-here"}
        assert stranger.get("/api/v1/session/userinfo", headers=headers).headers.get_list("set-cookie") == []
    finally:
        set_oidc(control_plane, server, idp)


def test_logout_goes_to_the_providers_logout_url(
    server: BackgroundServer, idp: OIDCProvider, control_plane: ControlPlane
) -> None:
    client, callback = browser_login(server)
    assert client.get(callback).status_code == 303
    token = client.cookies["argocd.token"]
    hint = "id_token_hint={{token}}&post_logout_redirect_uri={{logoutRedirectURL}}"
    logout = f"logoutURL: {idp.issuer}end_session?{hint}\n"
    set_oidc(control_plane, server, idp, logout)
    try:
        out = client.get("/auth/logout")
        assert out.status_code == 303
        location = out.headers["location"]
        assert location.startswith(
            f"{idp.issuer}end_session?id_token_hint={token}&post_logout_redirect_uri=http"
        )
        assert "argocd.token" not in client.cookies
        assert client.get("/api/v1/session/userinfo", headers={"Cookie": f"argocd.token={token}"}).json() == {
            "loggedIn": False
        }
    finally:
        set_oidc(control_plane, server, idp)
