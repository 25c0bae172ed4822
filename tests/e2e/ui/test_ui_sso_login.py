"""Logging in to the web UI through a real OpenID provider, in headless Chromium.

The user clicks "Log in via <provider>", signs in on the provider's own login page, and lands
back in the UI as the SSO user; the provider's group ``team-a`` is mapped to ``role:guest`` in
``argocd-rbac-cm``, so the user sees the applications but no Sync button. Logging out revokes
the session.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ui_support import ARGOCD_CM, GUEST_POLICY, UiEnv

from support.oidc_provider import WEB_CLIENT_ID, WEB_CLIENT_SECRET, OIDCProvider, User

CAROL = User("u-carol", "carol", "carol-pass-1", "carol@example.com", ("team-a",))
PROVIDER_NAME = "Test IdP"
LIVE = 30_000  # ms


@pytest.fixture(scope="module")
def sso_app(ui_env: UiEnv, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The provider on loopback, ``oidc.config`` + ``url`` in argocd-cm, team-a -> role:guest; an app."""
    server = ui_env.server
    idp = OIDCProvider(
        tmp_path_factory.mktemp("idp"), users=(CAROL,), web_redirect=f"{server.url}/auth/callback"
    ).start()
    secret = base64.b64encode(WEB_CLIENT_SECRET.encode()).decode()
    ui_env.cluster.kubectl(
        "patch", "secret", "argocd-secret", "-n", ui_env.namespace,
        "-p", json.dumps({"data": {"oidc.clientSecret": secret}}),
    )  # fmt: skip
    oidc = f"name: {PROVIDER_NAME}\nissuer: {idp.issuer}\nclientID: {WEB_CLIENT_ID}\nclientSecret: $oidc.clientSecret\n"
    ui_env.controller.set_argocd_cm(
        {"installationID": ui_env.namespace, **ARGOCD_CM, "url": server.url, "oidc.config": oidc}
    )
    rbac = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "argocd-rbac-cm"}}
    rbac["data"] = {"policy.csv": GUEST_POLICY + "g, team-a, role:guest\n"}
    ui_env.cluster.kubectl("apply", "-n", ui_env.namespace, "-f", "-", stdin=json.dumps(rbac))
    deadline = time.monotonic() + 30
    while not httpx.get(f"{server.url}/api/v1/settings", timeout=10).json().get("oidcConfig"):
        assert time.monotonic() < deadline, "the server never advertised oidc.config"
        time.sleep(0.2)
    name = f"sso-{uuid.uuid4().hex[:5]}"
    spec = {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "web", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{ui_env.namespace}-s"},
    }
    ui_env.controller.apply_app(name, spec)
    try:
        yield name
    finally:
        idp.stop()


def test_sso_user_logs_in_at_the_provider_and_gets_its_groups_role(
    ui_env: UiEnv, browser: Any, sso_app: str
) -> None:
    server = ui_env.server.url
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{server}/applications")
        page.wait_for_url(re.compile(r"/login\?return="))
        page.get_by_role("link", name=f"Log in via {PROVIDER_NAME}").click()
        # The provider's own login page (another origin), filled in as a user does.
        page.wait_for_selector("input#username")
        assert not page.url.startswith(server)
        page.fill("input#username", CAROL.username)
        page.fill("input#password", CAROL.password)
        page.click("button[type=submit]")
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
                const r = await fetch(`api/v1/applications/${name}/sync`, {method: "POST", body: "{}"});
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
