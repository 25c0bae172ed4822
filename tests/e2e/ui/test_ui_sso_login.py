"""Logging in to the web UI through a real OpenID provider, in headless Chromium.

The user clicks "Log in via <provider>", signs in on the provider's own login page, and lands
back in the UI as the SSO user; the provider's group ``team-a`` is mapped to ``role:guest`` in
``argocd-rbac-cm``, so the user sees the applications but no Sync button. Logging out revokes
the session. Under ``--rootpath`` the same login goes through ``/argosy/auth/*``.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from ui_support import ARGOCD_CM, GUEST_POLICY, LIVE, UiEnv

from argosy.server.run import BackgroundServer
from support.oidc_provider import WEB_CLIENT_ID, WEB_CLIENT_SECRET, OIDCProvider, User

CAROL = User("u-carol", "carol", "carol-pass-1", "carol@example.com", ("team-a",))
PROVIDER_NAME = "Test IdP"


@pytest.fixture(scope="module")
def rooted(ui_env: UiEnv) -> Iterator[BackgroundServer]:
    """A second API server on the same installation, under ``--rootpath /argosy``."""
    server = BackgroundServer(replace(ui_env.server.prepared.ctx.config, rootpath="/argosy")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def idp(
    ui_env: UiEnv, rooted: BackgroundServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[OIDCProvider]:
    callbacks = f"{ui_env.server.url}/auth/callback,{rooted.url}/argosy/auth/callback"
    provider = OIDCProvider(tmp_path_factory.mktemp("idp"), users=(CAROL,), web_redirect=callbacks).start()
    try:
        yield provider
    finally:
        provider.stop()


def _configure(env: UiEnv, idp: OIDCProvider, url: str) -> None:
    """``oidc.config`` + ``url`` in argocd-cm; waits until the server at ``url`` advertises them."""
    oidc = (
        f"name: {PROVIDER_NAME}\nissuer: {idp.issuer}\nclientID: {WEB_CLIENT_ID}\n"
        "clientSecret: $oidc.clientSecret\n"
    )
    env.controller.set_argocd_cm(
        {"installationID": env.namespace, **ARGOCD_CM, "url": url, "oidc.config": oidc}
    )
    deadline = time.monotonic() + 30
    while True:
        settings = httpx.get(f"{url}/api/v1/settings", timeout=10).json()
        if settings.get("oidcConfig") and settings.get("url") == url:
            return
        assert time.monotonic() < deadline, f"the server at {url} never advertised oidc.config"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def sso_app(ui_env: UiEnv, idp: OIDCProvider) -> str:
    """The provider's client secret in argocd-secret, team-a -> role:guest, and an app to see."""
    secret = base64.b64encode(WEB_CLIENT_SECRET.encode()).decode()
    ui_env.cluster.kubectl(
        "patch", "secret", "argocd-secret", "-n", ui_env.namespace,
        "-p", json.dumps({"data": {"oidc.clientSecret": secret}}),
    )  # fmt: skip
    rbac = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-rbac-cm"}}
    rbac["data"] = {"policy.csv": GUEST_POLICY + "g, team-a, role:guest\n"}
    ui_env.cluster.kubectl("apply", "-n", ui_env.namespace, "-f", "-", stdin=json.dumps(rbac))
    name = f"sso-{uuid.uuid4().hex[:5]}"
    spec = {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "web", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{ui_env.namespace}-s"},
    }
    ui_env.controller.apply_app(name, spec)
    return name


def _sign_in_at_provider(page: Any, server: str) -> None:
    """On the provider's own login page (another origin), fill in the form as a user does."""
    page.get_by_role("link", name=f"Log in via {PROVIDER_NAME}").click()
    page.wait_for_selector("input#username")
    assert not page.url.startswith(server)
    page.fill("input#username", CAROL.username)
    page.fill("input#password", CAROL.password)
    page.click("button[type=submit]")


def test_sso_user_logs_in_at_the_provider_and_gets_its_groups_role(
    ui_env: UiEnv, idp: OIDCProvider, browser: Any, sso_app: str
) -> None:
    server = ui_env.server.url
    _configure(ui_env, idp, server)
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{server}/applications")
        page.wait_for_url(re.compile(r"/login\?return="))
        _sign_in_at_provider(page, server)
        page.wait_for_url(f"{server}/applications")
        page.get_by_test_id("username").get_by_text(CAROL.email).wait_for()
        page.locator(f"[data-testid=app-card][data-app='{sso_app}']").wait_for(timeout=LIVE)
        page.screenshot(path=str(ui_env.screenshots / "sso-applications.png"), full_page=True)

        page.get_by_test_id("username").click()
        page.get_by_text("Groups: team-a").wait_for()
        sync_row = page.get_by_role("row", name=re.compile(r"applications, sync"))
        sync_row.get_by_text("no", exact=True).wait_for()  # role:guest, through the group

        page.goto(f"{server}/applications/{sso_app}")
        page.get_by_test_id("app-title").wait_for()
        page.get_by_role("button", name="Refresh", exact=True).wait_for()
        assert page.get_by_role("button", name="Sync", exact=True).count() == 0
        forced = page.evaluate(
            """async (name) => {
                const r = await fetch(`api/v1/applications/${name}/sync`, {
                    method: "POST", body: "{}", headers: {"Content-Type": "application/json"},
                });
                return r.status;
            }""",
            sso_app,
        )
        assert forced == 403

        token = next(c["value"] for c in context.cookies() if c["name"] == "argocd.token")
        page.get_by_role("button", name="Log out").click()
        page.wait_for_url(re.compile(r"/login"))
        page.goto(f"{server}/applications")
        page.wait_for_url(re.compile(r"/login\?return="))  # the cookie is gone
        revoked = httpx.get(
            f"{server}/api/v1/applications", headers={"Authorization": f"Bearer {token}"}, timeout=10
        )
        assert revoked.status_code == 401  # and the session is revoked, not only forgotten
    finally:
        context.close()


def test_under_a_root_path_the_sso_login_goes_through_the_prefix(
    ui_env: UiEnv, idp: OIDCProvider, rooted: BackgroundServer, browser: Any, sso_app: str
) -> None:
    prefixed = f"{rooted.url}/argosy"
    _configure(ui_env, idp, prefixed)  # `url` names the prefix, as behind a proxy on a sub-path
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{prefixed}/applications")
        page.wait_for_url(re.compile(r"/argosy/login\?return="))
        _sign_in_at_provider(page, rooted.url)
        page.wait_for_url(f"{prefixed}/applications")  # the state cookie came back to /argosy/auth/callback
        page.get_by_test_id("username").get_by_text(CAROL.email).wait_for()
        page.locator(f"[data-testid=app-card][data-app='{sso_app}']").wait_for(timeout=LIVE)
        page.goto(f"{prefixed}/auth/logout")
        page.wait_for_url(re.compile(r"/argosy/login"))
        assert not [c for c in context.cookies() if c["name"] in ("argocd.token", "argocd.refreshtoken")]
    finally:
        context.close()
