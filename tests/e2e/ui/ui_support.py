"""What the browser tests get from their fixtures, and the steps several of them take."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argosy.server.run import BackgroundServer
from support.cluster import ClusterHandle
from support.controller import RunningController
from support.gitrepo import GitRepo

#: The value of the app's Secret: the browser must never receive it, plain or base64.
SECRET_VALUE = "hunter2-ui-only"
#: alice: the RBAC tutorial's read-only role:guest (reads apps and projects); bob: reads every app,
#: syncs those of TEAM_PROJECT only (a project-scoped policy: can-i on ``*/*`` says no to him);
#: admin: everything. ci-bot: an API-key-only account whose tokens the settings page creates and
#: deletes.
ARGOCD_CM = {"accounts.alice": "login", "accounts.bob": "login", "accounts.ci-bot": "apiKey"}
GUEST_POLICY = (
    "p, role:guest, applications, get, */*, allow\n"
    "p, role:guest, projects, get, *, allow\n"  # reads projects: sees none of their edits
    "g, alice, role:guest\n"
)
TEAM_PROJECT = "ui-team"
TEAM_POLICY = (
    "p, role:team, applications, get, */*, allow\n"
    f"p, role:team, applications, sync, {TEAM_PROJECT}/*, allow\n"
    "g, bob, role:team\n"
)


@dataclass
class UiEnv:
    cluster: ClusterHandle
    controller: RunningController
    server: BackgroundServer
    repo_url: str
    repo: GitRepo
    admin_password: str
    screenshots: Path

    @property
    def namespace(self) -> str:
        return self.controller.namespace


LIVE = 30_000  # ms a live update may take (controller reconcile + watch + SSE)


def shot(page: Any, env: UiEnv, name: str) -> None:
    """A screenshot of the whole page, a test artifact (conftest.py says where)."""
    page.screenshot(path=str(env.screenshots / f"{name}.png"), full_page=True)


def login(
    page: Any, env: UiEnv, user: str = "admin", password: str = "", base: str = "", land: bool = True
) -> None:
    """Log in through the login page a protected page sends to, and (``land``) wait for the list."""
    page.goto((base or env.server.url) + "/applications")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password or env.admin_password)
    page.click("button[type=submit]")
    if land:
        page.wait_for_url(re.compile(r"/applications$"))


def admin_api(env: UiEnv, base: str = "") -> Any:
    """An HTTP client of the server's API with an admin token (to set up and check, not to test the API)."""
    import httpx

    client = httpx.Client(base_url=base or env.server.url, timeout=30, verify=False)
    token = client.post("/api/v1/session", json={"username": "admin", "password": env.admin_password})
    client.headers["Authorization"] = f"Bearer {token.json()['token']}"
    return client


def open_create_form(page: Any, env: UiEnv) -> None:
    """Open "New app" and wait for its form; a busy machine (the suite runs on two workers) may
    take long to render it, and a page that never shows it is quoted in the failure."""
    page.goto(env.server.url + "/applications/new")
    try:
        page.locator("input[name=name]").wait_for(timeout=2 * LIVE)
    except Exception as exc:
        raise AssertionError(f"no create form at {page.url}: {page.content()[:2000]}") from exc


def open_sync_panel(page: Any) -> Any:
    page.get_by_role("button", name="Sync", exact=True).click()
    return page.get_by_test_id("sync-panel")
