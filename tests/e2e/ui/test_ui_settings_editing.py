"""Settings edits in headless Chromium against a real server: a credential template, a repository's
connection test, a cluster's labels, a project whose invalid sync window the server refuses (its
message shown) before a valid one, a role token shown once then deleted, a Helm repository with
credentials (tested before saving, its password never shown again), an account token shown once then
deleted, the effective settings without any secret, and no edit offered to a read-only user."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ui_support import UiEnv, shot

TEMPLATE_PASSWORD = "tmpl-pa55-not-for-browsers"
HELM_PASSWORD = "helm-pa55-not-for-browsers"


@pytest.fixture(scope="module")
def page(ui_env: UiEnv, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() of each delete
    page.goto(ui_env.server.url + "/applications")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ui_env.admin_password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/applications$"))
    page.get_by_role("link", name="Settings").click()
    page.get_by_test_id("clusters").get_by_text("https://kubernetes.default.svc").wait_for()
    yield page
    context.close()


def test_credential_template_test_connection_and_cluster_labels(ui_env: UiEnv, page: Any) -> None:
    prefix = f"https://git.example.com/{uuid.uuid4().hex[:6]}/"
    form = page.get_by_test_id("repocreds-form")
    form.get_by_label("URL prefix").fill(prefix)
    form.get_by_label("Username").fill("bot")
    form.get_by_label("Password or token").fill(TEMPLATE_PASSWORD)
    form.get_by_role("button", name="Add credential template").click()
    row = page.get_by_test_id("repocreds").locator("tr", has_text=prefix)
    row.wait_for()
    assert "password" in row.inner_text() and "bot" in row.inner_text()
    assert form.get_by_label("Password or token").input_value() == ""

    page.get_by_label("Repository URL").fill(ui_env.repo_url)  # test connection reaches the real Git server
    page.get_by_role("button", name="Connect repository").click()
    repo_row = page.get_by_test_id("repositories").locator("tr", has_text=ui_env.repo_url)
    repo_row.get_by_role("button", name="Test connection").click()
    repo_row.get_by_test_id("repo-connection").get_by_text("Successful").wait_for()

    page.locator("[data-testid=clusters] tr[data-server='https://kubernetes.default.svc']").get_by_role(
        "button", name="Edit"
    ).click()
    editor = page.get_by_test_id("cluster-editor")
    editor.get_by_label("Labels").fill("env=ui-edited")
    editor.get_by_role("button", name="Save cluster").click()
    editor.wait_for(state="detached")
    page.get_by_test_id("clusters").get_by_text("env=ui-edited").wait_for()
    shot(page, ui_env, "settings-repocreds-cluster")


def test_project_with_sync_window_role_token_and_effective_settings(ui_env: UiEnv, page: Any) -> None:
    name = f"team-{uuid.uuid4().hex[:5]}"
    page.get_by_role("button", name="New project").click()
    editor = page.get_by_test_id("project-editor")
    editor.get_by_label("Project name").fill(name)
    editor.get_by_label("Source repositories").fill("*")
    editor.get_by_label("Destinations").fill(f"https://kubernetes.default.svc {name}")
    editor.get_by_role("button", name="Add sync window").click()
    editor.get_by_label("Window schedule").fill("61 * * * *")
    editor.get_by_role("button", name="Add role").click()
    editor.get_by_label("Role name").fill("ci")
    editor.get_by_label("Role policies").fill(f"p, proj:{name}:ci, applications, get, {name}/*, allow")
    editor.get_by_role("button", name="Create project").click()
    alert = editor.get_by_role("alert")
    alert.wait_for()
    assert "61" in alert.inner_text() and "schedule" in alert.inner_text()  # the server's own message
    shot(page, ui_env, "settings-project-invalid-window")
    editor.get_by_label("Window schedule").fill("0 22 * * *")
    editor.get_by_role("button", name="Create project").click()
    editor.wait_for(state="detached")
    row = page.locator(f"[data-testid=projects] tr[data-project='{name}']")
    assert "allow 0 22 * * * 1h" in row.inner_text()

    row.get_by_role("button", name="Role tokens").click()
    tokens = page.get_by_test_id("project-tokens")
    tokens.get_by_role("button", name="Create token").click()
    shown = tokens.get_by_test_id("new-token").locator("pre")
    shown.wait_for()
    token = shown.inner_text().strip()
    assert token.count(".") == 2  # a JWT
    listed = tokens.locator("[data-role=ci] tr[data-iat]")
    listed.wait_for()
    tokens.get_by_role("button", name="I have copied it").click()
    assert token not in page.content()  # shown once
    listed.get_by_role("button", name="Delete token").click()
    listed.wait_for(state="detached")
    shot(page, ui_env, "settings-project-tokens")

    settings = page.get_by_test_id("effective-settings")
    settings.wait_for()
    text = settings.inner_text()
    assert "Status badge" in text and "Resource overrides" in text and "Kustomize" in text
    # The template password of the first test, and the token, are nowhere in the page.
    assert TEMPLATE_PASSWORD not in page.content() and token not in page.content()
    shot(page, ui_env, "settings-effective")


def test_helm_repository_with_credentials_and_account_token_shown_once(ui_env: UiEnv, page: Any) -> None:
    url = f"https://127.0.0.1:9/charts-{uuid.uuid4().hex[:6]}"  # nothing listens: refused at once
    form = page.get_by_test_id("repository-form")
    form.get_by_label("Repository type").select_option("helm")
    form.get_by_label("Repository URL").fill(url)
    status = form.get_by_test_id("repository-form-status")
    assert "needs a name" in status.inner_text()  # checked before anything is sent
    form.get_by_label("Repository name").fill("stable")
    form.get_by_label("Repository username").fill("chart-reader")
    form.get_by_label("Repository password").fill(HELM_PASSWORD)
    assert form.get_by_label("Repository password").get_attribute("type") == "password"
    form.get_by_role("button", name="Test connection").click()
    # The server's reason: the chart index cannot be fetched.
    status.get_by_text(re.compile(r"^Failed: unable to connect to repository")).wait_for()
    form.get_by_role("button", name="Connect repository").click()
    row = page.get_by_test_id("repositories").locator("tr", has_text=url)
    row.wait_for()
    assert row.locator("td").first.inner_text() == "helm" and "stable" in row.inner_text()
    assert form.get_by_label("Repository password").input_value() == ""
    assert HELM_PASSWORD not in page.content()

    bot = page.locator("[data-testid=accounts] tr[data-account=ci-bot]")
    bot.get_by_role("button", name="Create token").click()
    shown = page.get_by_test_id("new-account-token").locator("pre")
    shown.wait_for()
    token = shown.inner_text().strip()
    assert token.count(".") == 2  # a JWT
    listed = bot.get_by_test_id("account-token")
    listed.wait_for()
    assert "expires never" in listed.inner_text()
    page.get_by_role("button", name="I have copied it").click()
    assert token not in page.content()  # shown once
    listed.get_by_role("button", name="Delete token").click()
    listed.wait_for(state="detached")
    shot(page, ui_env, "settings-helm-repo-account-token")


def test_a_read_only_user_sees_no_settings_edits(ui_env: UiEnv, browser: Any) -> None:
    with httpx.Client(base_url=ui_env.server.url, timeout=30) as api:
        login = {"username": "admin", "password": ui_env.admin_password}
        token = api.post("/api/v1/session", json=login).json()["token"]
        change = {"name": "alice", "currentPassword": ui_env.admin_password, "newPassword": "alice-Passw0rd"}
        api.put(
            "/api/v1/account/password", json=change, headers={"Authorization": f"Bearer {token}"}
        ).raise_for_status()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(ui_env.server.url + "/settings")
        page.wait_for_url(re.compile(r"/login"))
        page.fill("input[name=username]", "alice")
        page.fill("input[name=password]", "alice-Passw0rd")
        page.click("button[type=submit]")
        page.get_by_role("link", name="Settings").click()
        page.get_by_test_id("effective-settings").wait_for()
        page.get_by_test_id("clusters").wait_for()
        page.wait_for_load_state("networkidle")  # every can-i has answered
        for label in (
            "Edit",
            "New project",
            "Add credential template",
            "Test connection",
            "Connect repository",
            "Create token",
        ):
            assert page.get_by_role("button", name=label).count() == 0, label
        shot(page, ui_env, "settings-read-only")
    finally:
        context.close()
