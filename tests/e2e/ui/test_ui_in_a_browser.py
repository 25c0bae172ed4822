"""The web UI in headless Chromium against a real server, controller, repo server and Git server:
log in, list and filter live, create an app from the form, sync it with options and watch it
converge, see kubectl drift as OutOfSync with the field in the diff, roll back, delete, and a
read-only user who sees no Sync, New app or Role tokens button and is told when can-i or logout
fails; a workload's Pod logs stream in its resource panel, whose Pod node shows its live manifest
and events."""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from ui_support import (
    LIVE,
    SECRET_VALUE,
    UiEnv,
    admin_api,
    login,
    open_create_form,
    open_sync_panel,
    shot,
)

from argosy.server.run import BackgroundServer
from support.controller import health_status, operation_phase, sync_status


@pytest.fixture(scope="module")
def admin_page(ui_env: UiEnv, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def _card(page: Any, name: str) -> Any:
    return page.locator(f"[data-testid=app-card][data-app='{name}']")


def test_login_shows_the_servers_error_then_lands_on_the_list(ui_env: UiEnv, admin_page: Any) -> None:
    login(admin_page, ui_env, "admin", "wrong-password", land=False)
    alert = admin_page.get_by_role("alert")
    alert.wait_for()
    assert "Invalid username or password" in alert.inner_text()
    shot(admin_page, ui_env, "login-error")
    admin_page.fill("input[name=password]", ui_env.admin_password)
    admin_page.click("button[type=submit]")
    admin_page.wait_for_url(re.compile(r"/applications$"))
    assert admin_page.get_by_test_id("username").inner_text() == "admin"


def test_the_list_filters_and_shows_new_apps_without_reload(ui_env: UiEnv, admin_page: Any) -> None:
    spec = {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "web", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{ui_env.namespace}-k"},
    }
    name = f"listed-{uuid.uuid4().hex[:5]}"
    ui_env.controller.apply_app(name, spec, labels={"team": "ui"})
    _card(admin_page, name).wait_for(timeout=LIVE)  # came over SSE: the page was not reloaded
    admin_page.get_by_label("Search applications").fill("no-such-app")
    admin_page.wait_for_selector("[data-testid=app-card]", state="detached")
    admin_page.get_by_label("Search applications").fill(name[:9])
    _card(admin_page, name).wait_for()
    admin_page.get_by_label("Filter by labels").fill("team=ui")
    assert _card(admin_page, name).count() == 1
    admin_page.get_by_label("Filter by labels").fill("team=other")
    admin_page.wait_for_selector("[data-testid=app-card]", state="detached")
    admin_page.get_by_label("Filter by labels").fill("")
    # the loaded apps' labels are facet entries too, each with how many shown apps carry it
    picked = admin_page.get_by_test_id("facet-labels").locator("label", has_text="team=ui")
    assert picked.locator(".count").inner_text() == "1"  # the search leaves this one app
    picked.locator("input").check()
    admin_page.wait_for_url(re.compile(r"label=team%3Dui"))  # kept in the address, as the other facets
    assert _card(admin_page, name).count() == 1
    picked.locator("input").uncheck()
    admin_page.get_by_label("Search applications").fill("")
    admin_page.get_by_role("link", name="+ New app").wait_for()  # admin may create
    shot(admin_page, ui_env, "applications-list")
    admin_page.click("text=List view")
    _card(admin_page, name).wait_for()
    shot(admin_page, ui_env, "applications-table")
    admin_page.get_by_role("link", name="Settings").click()
    admin_page.get_by_test_id("accounts").get_by_text("alice").wait_for()
    admin_page.get_by_test_id("clusters").get_by_text("https://kubernetes.default.svc").wait_for()
    shot(admin_page, ui_env, "settings")
    admin_page.get_by_role("link", name="Applications").click()


def test_summary_sort_favourites_and_multi_select_refresh(ui_env: UiEnv, admin_page: Any) -> None:
    """The summary bar counts the shown apps by sync and health; favourites come first, survive a
    reload (kept in the browser) and filter the list; a multi-select Refresh reaches every app."""
    prefix = f"fav-{uuid.uuid4().hex[:5]}"
    names = [f"{prefix}-{letter}" for letter in "abc"]
    spec = {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "web", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{ui_env.namespace}-f"},
    }
    for name in names:
        ui_env.controller.apply_app(name, spec)
    admin_page.goto(ui_env.server.url + "/applications")
    admin_page.get_by_label("Search applications").fill(prefix)
    for name in names:
        _card(admin_page, name).wait_for(timeout=LIVE)
    summary = admin_page.get_by_test_id("summary")
    assert summary.get_by_test_id("app-count").inner_text().startswith("3 of ")
    # never synced: all three OutOfSync once compared (the summary follows the live stream)
    summary.locator("[data-status=OutOfSync]", has_text="OutOfSync 3").wait_for(timeout=LIVE)
    admin_page.get_by_label("Sort").select_option("name")
    cards = admin_page.get_by_test_id("app-card")
    assert [cards.nth(i).get_attribute("data-app") for i in range(3)] == names

    admin_page.get_by_label(f"favourite {names[2]}").click()
    assert cards.first.get_attribute("data-app") == names[2]  # favourites first
    admin_page.reload()
    admin_page.get_by_label("Search applications").fill(prefix)
    _card(admin_page, names[0]).wait_for(timeout=LIVE)
    assert admin_page.get_by_test_id("app-card").first.get_attribute("data-app") == names[2]
    admin_page.get_by_label("Favourites only").check()
    admin_page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=app-card]').length === 1", timeout=LIVE
    )
    assert _card(admin_page, names[2]).count() == 1
    admin_page.get_by_label("Favourites only").uncheck()
    _card(admin_page, names[0]).wait_for()

    for name in names[:2]:
        admin_page.get_by_label(f"select {name}").check()
    admin_page.get_by_role("button", name="Refresh", exact=True).click()
    notice = admin_page.get_by_test_id("list-notice")
    notice.wait_for(timeout=LIVE)
    assert notice.inner_text().startswith("Refresh requested for 2 of 2 app(s)")
    shot(admin_page, ui_env, "applications-favourites")
    admin_page.get_by_role("button", name="Clear", exact=True).click()
    admin_page.get_by_label("Search applications").fill("")


def test_a_dry_run_changes_nothing_and_a_running_sync_can_be_terminated(
    ui_env: UiEnv, admin_page: Any
) -> None:
    target_ns = f"{ui_env.namespace}-dry-{uuid.uuid4().hex[:5]}"
    ui_env.cluster.kubectl("create", "namespace", target_ns)
    dry = f"dry-{uuid.uuid4().hex[:5]}"
    spec = {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "web", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": target_ns},
    }
    ui_env.controller.apply_app(dry, spec)
    admin_page.goto(f"{ui_env.server.url}/applications/{dry}")
    admin_page.get_by_test_id("sync-status").get_by_text("OutOfSync").wait_for(timeout=LIVE)
    panel = open_sync_panel(admin_page)
    panel.get_by_label("Dry run").check()
    panel.get_by_role("button", name="Synchronize").click()
    admin_page.get_by_test_id("operation-state").locator("[data-status=Succeeded]").wait_for(timeout=LIVE)
    assert sync_status(ui_env.controller.app(dry)) == "OutOfSync"  # nothing was applied
    missing = ui_env.cluster.kubectl("get", "configmap", "web-config", "-n", target_ns, check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr

    stuck = f"hook-{dry}"  # a PreSync hook that never completes (APP_FILES in conftest.py)
    ui_env.controller.apply_app(stuck, {**spec, "source": {**spec["source"], "path": "hook"}})
    admin_page.goto(f"{ui_env.server.url}/applications/{stuck}")
    admin_page.get_by_test_id("sync-status").get_by_text("Synced").wait_for(timeout=LIVE)  # hooks only
    open_sync_panel(admin_page).get_by_role("button", name="Synchronize").click()
    state = admin_page.get_by_test_id("operation-state")
    state.locator("[data-status=Running]").wait_for(timeout=LIVE)  # held by the hook
    admin_page.get_by_role("button", name="Terminate").click()
    state.get_by_text("Operation terminated").wait_for(timeout=LIVE)
    state.locator("[data-status=Failed]").wait_for()
    shot(admin_page, ui_env, "operation-terminated")
    ui_env.cluster.kubectl("delete", "namespace", target_ns, "--wait=false", check=False)


def test_create_from_the_form_sync_with_options_and_converge_live(ui_env: UiEnv, admin_page: Any) -> None:
    name = f"web-{uuid.uuid4().hex[:5]}"
    target_ns = f"{ui_env.namespace}-{name}"
    open_create_form(admin_page, ui_env)
    admin_page.fill("input[name=name]", name)
    admin_page.fill("input[name=repoURL]", ui_env.repo_url)
    admin_page.fill("input[name=path]", "web")
    admin_page.fill("input[name=namespace]", target_ns)
    admin_page.click("button[type=submit]")
    admin_page.wait_for_url(re.compile(rf"/applications/{name}$"))
    admin_page.get_by_test_id("sync-status").get_by_text("OutOfSync").wait_for(timeout=LIVE)
    panel = open_sync_panel(admin_page)
    panel.get_by_label("Auto-create namespace").check()
    panel.get_by_label("Prune", exact=True).check()
    assert panel.get_by_role("button", name="Synchronize").is_disabled()  # prune asks for the name
    panel.get_by_label("Confirm sync").fill(name)
    shot(admin_page, ui_env, "sync-panel")
    panel.get_by_role("button", name="Synchronize").click()
    admin_page.get_by_test_id("sync-status").get_by_text("Synced").wait_for(timeout=LIVE)
    admin_page.get_by_test_id("operation-state").get_by_text("Succeeded").wait_for(timeout=LIVE)
    app = ui_env.controller.app(name)
    assert sync_status(app) == "Synced" and health_status(app) == "Healthy"
    assert "CreateNamespace=true" in app["status"]["operationState"]["operation"]["sync"]["syncOptions"]
    admin_page.locator("[data-testid=tree-node][data-name=web-config]").wait_for()
    shot(admin_page, ui_env, "application-tree")

    # drift made with kubectl shows up live, with the changed field in the diff
    ui_env.cluster.kubectl(
        "patch", "configmap", "web-config", "-n", target_ns, "--type", "merge",
        "-p", json.dumps({"data": {"greeting": "drifted"}}),
    )  # fmt: skip
    admin_page.get_by_test_id("sync-status").get_by_text("OutOfSync").wait_for(timeout=LIVE)
    node = admin_page.locator("[data-testid=tree-node][data-name=web-config]")
    node.get_by_text("OutOfSync").wait_for(timeout=LIVE)
    # List and Tree share one filter: OutOfSync leaves the drifted ConfigMap only, in both views
    admin_page.get_by_role("button", name="List", exact=True).click()
    admin_page.get_by_label("Filter resources by sync status").select_option("OutOfSync")
    rows = admin_page.locator("[data-testid=resource-list] tr[data-name]")
    rows.first.wait_for()
    assert [r.get_attribute("data-name") for r in rows.all()] == ["web-config"]
    assert re.fullmatch(r"1 of \d+ resources", admin_page.get_by_test_id("resource-count").inner_text())
    admin_page.get_by_role("button", name="Tree", exact=True).click()
    node.wait_for()
    assert admin_page.locator("[data-testid=tree-node][data-name=web-extra]").count() == 0
    admin_page.get_by_role("button", name="Clear filters").click()
    admin_page.locator("[data-testid=tree-node][data-name=web-extra]").wait_for()
    node.click()
    diff = admin_page.get_by_test_id("diff")
    diff.get_by_text("drifted").first.wait_for(timeout=LIVE)
    assert diff.get_by_text("hello").count() >= 1
    shot(admin_page, ui_env, "resource-diff")
    admin_page.get_by_role("button", name="Close").click()

    # history and rollback to the first (only) deployment
    admin_page.get_by_role("button", name="History and rollback").click()
    admin_page.on("dialog", lambda dialog: dialog.accept())
    admin_page.get_by_test_id("history").get_by_role("button", name="Rollback").first.click()
    admin_page.get_by_test_id("sync-status").get_by_text("Synced").wait_for(timeout=LIVE)
    shot(admin_page, ui_env, "history")

    # delete, confirmed by typing the name
    admin_page.get_by_role("button", name="Delete", exact=True).click()
    admin_page.get_by_label("Confirm application name").fill(name)
    admin_page.locator(".modal").get_by_role("button", name="Delete").click()
    admin_page.wait_for_url(re.compile(r"/applications$"))
    _card(admin_page, name).wait_for(state="detached", timeout=LIVE)


def test_create_from_yaml_names_a_yaml_error_then_creates_what_the_yaml_says(
    ui_env: UiEnv, admin_page: Any
) -> None:
    """The "Edit as YAML" text starts from the form's fields; the whole Application (here with a label and an
    automated sync policy the form has no field for) is what gets created."""
    name = f"yaml-{uuid.uuid4().hex[:5]}"
    open_create_form(admin_page, ui_env)
    admin_page.fill("input[name=name]", name)
    admin_page.fill("input[name=repoURL]", ui_env.repo_url)
    admin_page.get_by_role("button", name="Edit as YAML").click()
    editor = admin_page.get_by_label("Application YAML")
    text = editor.inner_text()  # CodeMirror's lines (a short text is drawn whole)
    assert f"name: {name}" in text and ui_env.repo_url in text  # carried over from the form
    editor.fill("kind: Application\nmetadata: [unclosed")
    # marked on its line while typing, and refused on submit
    admin_page.get_by_test_id("yaml-problems").locator("li[data-line='2']").wait_for()
    admin_page.locator(".cm-lintRange-error").first.wait_for()  # the editor's mark
    admin_page.click("button[type=submit]")
    assert admin_page.get_by_role("alert").inner_text().startswith("YAML:")
    app = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "labels": {"made-from": "yaml"}},
        "spec": {
            "project": "default",
            "source": {"repoURL": ui_env.repo_url, "path": "web", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{ui_env.namespace}-y"},
            "syncPolicy": {"automated": {"prune": True}, "syncOptions": ["CreateNamespace=true"]},
        },
    }
    editor.fill(json.dumps(app, indent=2))  # JSON is YAML too
    admin_page.click("button[type=submit]")
    admin_page.wait_for_url(re.compile(rf"/applications/{name}$"))
    created = ui_env.controller.app(name)
    assert created["metadata"]["labels"] == {"made-from": "yaml"}
    assert created["spec"]["syncPolicy"]["automated"] == {"prune": True}
    admin_page.get_by_test_id("sync-status").get_by_text("Synced").wait_for(timeout=LIVE)  # automated


def test_a_secrets_value_never_reaches_the_browser(ui_env: UiEnv, admin_page: Any) -> None:
    name = f"secret-{uuid.uuid4().hex[:5]}"
    spec = {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "secret", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{ui_env.namespace}-s"},
        "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
    }
    ui_env.controller.apply_app(name, spec)
    ui_env.controller.wait_app(name, lambda a: sync_status(a) == "OutOfSync", "compared")
    admin_api(ui_env).post(f"/api/v1/applications/{name}/sync", json={}).raise_for_status()
    ui_env.controller.wait_app(name, lambda a: operation_phase(a) == "Succeeded", "synced")
    admin_page.goto(f"{ui_env.server.url}/applications/{name}")
    admin_page.locator("[data-testid=tree-node][data-name=web-secret]").click()
    panel = admin_page.get_by_test_id("resource-panel")
    for tab in ("Live manifest", "Desired manifest", "Diff"):
        panel.get_by_role("button", name=tab).click()
        shown = panel.get_by_test_id("diff") if tab == "Diff" else panel.get_by_text("password").first
        shown.wait_for(timeout=LIVE)
        encoded = base64.b64encode(SECRET_VALUE.encode()).decode()
        assert SECRET_VALUE not in admin_page.content() and encoded not in admin_page.content(), tab
    shot(admin_page, ui_env, "secret-masked")


def _may(page: Any, check: str) -> str:
    """The User info page's answer ("yes"/"no") for ``check`` (e.g. "applications, sync")."""
    cell = page.locator("tr", has_text=check).locator("td").nth(1)
    page.wait_for_function(
        "(el) => el.textContent === 'yes' || el.textContent === 'no'", arg=cell.element_handle(), timeout=LIVE
    )
    return str(cell.inner_text())


def test_user_info_shows_the_user_and_what_they_may_do(ui_env: UiEnv, admin_page: Any) -> None:
    admin_page.goto(ui_env.server.url + "/applications")
    admin_page.get_by_test_id("username").click()
    admin_page.wait_for_url(re.compile(r"/user-info$"))
    assert "Username: admin" in admin_page.locator(".page").inner_text()
    assert _may(admin_page, "applications, sync") == "yes"
    assert _may(admin_page, "clusters, get") == "yes"
    shot(admin_page, ui_env, "user-info")


def test_a_read_only_user_sees_no_sync_button_and_a_clear_refusal(ui_env: UiEnv, browser: Any) -> None:
    admin = admin_api(ui_env)
    admin.put(
        "/api/v1/account/password",
        json={"name": "alice", "currentPassword": ui_env.admin_password, "newPassword": "alice-Passw0rd"},
    ).raise_for_status()
    name = f"guest-{uuid.uuid4().hex[:5]}"
    spec = {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "deploy", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{ui_env.namespace}-g"},
    }
    ui_env.controller.apply_app(name, spec)
    project = f"guest-{uuid.uuid4().hex[:5]}"  # with a role: its tokens need projects, update
    role = {"name": "ci", "policies": [f"p, proj:{project}:ci, applications, get, {project}/*, allow"]}
    body = {"metadata": {"name": project}, "spec": {"sourceRepos": ["*"], "roles": [role]}}
    admin.post("/api/v1/projects", json={"project": body}).raise_for_status()
    context = browser.new_context()
    page = context.new_page()
    try:
        with page.expect_response(lambda r: "/can-i/applications/create/" in r.url, timeout=LIVE):
            login(page, ui_env, "alice", "alice-Passw0rd")
            page.wait_for_url(re.compile(r"/applications$"))
            _card(page, name).wait_for(timeout=LIVE)
        page.wait_for_timeout(500)  # the other projects' answers
        assert page.get_by_role("link", name="+ New app").count() == 0
        page.get_by_test_id("username").click()  # User info: what alice's role lets her do
        page.wait_for_url(re.compile(r"/user-info$"))
        assert "Username: alice" in page.locator(".page").inner_text()
        assert (_may(page, "applications, get"), _may(page, "applications, sync")) == ("yes", "no")
        page.get_by_role("link", name="Settings").click()
        row = page.locator(f"[data-testid=projects] tr[data-project='{project}']")
        with page.expect_response(lambda r: f"/can-i/projects/update/{project}" in r.url, timeout=LIVE):
            row.wait_for(timeout=LIVE)
        assert row.get_by_role("button", name="Role tokens").count() == 0
        with page.expect_response(lambda r: "/can-i/logs/get/" in r.url, timeout=LIVE):
            page.goto(f"{ui_env.server.url}/applications/{name}")
            page.get_by_test_id("app-title").wait_for()
        page.get_by_role("button", name="Refresh", exact=True).wait_for()
        assert page.get_by_role("button", name="Sync", exact=True).count() == 0
        assert page.get_by_role("button", name="Delete", exact=True).count() == 0
        # role:guest has no `logs, get`: a workload's panel has no Logs tab (the logs test shows
        # admin's has one)
        page.locator("[data-testid=tree-node][data-name=web]").click()
        panel = page.get_by_test_id("resource-panel")
        panel.get_by_role("button", name="Live manifest").wait_for()
        assert panel.get_by_role("button", name="Logs").count() == 0
        panel.get_by_role("button", name="Close").click()
        # forcing it (as a crafted request would) gets the server's refusal, shown as is
        page.get_by_role("button", name="Hard refresh").wait_for()
        answer = page.evaluate(
            """async (name) => {
                const r = await fetch(`api/v1/applications/${name}/sync`, {
                    method: "POST", body: "{}", headers: {"Content-Type": "application/json"},
                });
                return [r.status, (await r.json()).message];
            }""",
            name,
        )
        assert answer[0] == 403 and "permission denied" in answer[1]
        shot(page, ui_env, "read-only-user")

        # a can-i the server cannot answer counts as "no" and the page says so; a failed logout
        # shows the server's message and keeps the user logged in
        def failing(message: str) -> Any:
            body = json.dumps({"code": 13, "message": message})
            return lambda route: route.fulfill(status=500, body=body, content_type="application/json")

        page.route("**/api/v1/account/can-i/**", failing("rbac store unavailable"))
        page.reload()
        page.get_by_test_id("can-i-failure").get_by_text("rbac store unavailable").wait_for()
        refuse_logout = failing("session store unavailable")
        page.route(
            "**/api/v1/session",
            lambda route: refuse_logout(route) if route.request.method == "DELETE" else route.continue_(),
        )
        page.get_by_role("button", name="Log out").click()
        page.get_by_test_id("logout-error").get_by_text("session store unavailable").wait_for()
        assert page.get_by_test_id("username").inner_text() == "alice"
    finally:
        context.close()


def test_a_restart_action_from_the_resource_panel(ui_env: UiEnv, browser: Any) -> None:
    name = f"act-{uuid.uuid4().hex[:5]}"
    dest = f"{ui_env.namespace}-{name}"
    spec = {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "deploy", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": dest},
        "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
    }
    ui_env.controller.apply_app(name, spec)
    ui_env.controller.wait_app(name, lambda a: sync_status(a) == "OutOfSync", "compared")
    admin = admin_api(ui_env)
    admin.post(f"/api/v1/applications/{name}/sync", json={}).raise_for_status()
    ui_env.controller.wait_app(name, lambda a: operation_phase(a) == "Succeeded", "synced")
    admin.put(
        "/api/v1/account/password",
        json={"name": "alice", "currentPassword": ui_env.admin_password, "newPassword": "alice-Passw0rd"},
    ).raise_for_status()
    for user, password in (("admin", ui_env.admin_password), ("alice", "alice-Passw0rd")):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        try:
            login(page, ui_env, user, password)
            page.wait_for_url(re.compile(r"/applications$"))
            page.goto(f"{ui_env.server.url}/applications/{name}")
            page.locator("[data-testid=tree-node][data-name=web]").click(timeout=LIVE)
            actions = page.get_by_test_id("resource-actions")
            if user == "alice":  # the read-only guest: the panel, but no action buttons
                page.get_by_test_id("resource-panel").get_by_role("button", name="Live manifest").wait_for()
                page.wait_for_timeout(1000)  # give the refused can-i answers time to arrive
                assert actions.count() == 0
                continue
            actions.get_by_role("button", name="Restart").wait_for(timeout=LIVE)
            assert actions.get_by_role("button", name="Resume").is_disabled()  # not paused
            page.once("dialog", lambda dialog: dialog.accept())
            actions.get_by_role("button", name="Restart").click()
            actions.get_by_text("Action 'restart' done").wait_for(timeout=LIVE)
            shot(page, ui_env, "resource-actions")
        finally:
            context.close()
    live = json.loads(ui_env.cluster.kubectl("get", "deployment", "web", "-n", dest, "-o", "json").stdout)
    assert "kubectl.kubernetes.io/restartedAt" in live["spec"]["template"]["metadata"]["annotations"]


def test_under_a_root_path_the_pages_and_the_api_move_together(ui_env: UiEnv, browser: Any) -> None:
    config = replace(ui_env.server.prepared.ctx.config, rootpath="/argosy")
    server = BackgroundServer(config).start()
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{server.url}/argosy/applications")
        page.wait_for_url(re.compile(r"/argosy/login"))
        page.fill("input[name=username]", "admin")
        page.fill("input[name=password]", ui_env.admin_password)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(r"/argosy/applications$"))
        page.locator("[data-testid=app-card]").first.wait_for(timeout=LIVE)  # list + stream via /argosy/api
        assert page.evaluate("document.baseURI").endswith("/argosy/")
    finally:
        context.close()
        server.stop()


def _log(env: UiEnv, text: str) -> None:
    """A line every Pod on the kwok nodes prints (kwok's ClusterLogs file, in CRI log format)."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
    with env.cluster.cluster.pod_logs_file.open("a") as out:
        out.write(f"{stamp} stdout F {text}\n")


def test_pod_logs_stream_in_the_resource_panel(ui_env: UiEnv, admin_page: Any) -> None:
    name = f"logs-{uuid.uuid4().hex[:5]}"
    target_ns = f"{ui_env.namespace}-{name}"
    spec = {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "logs", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": target_ns},
        "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
    }
    ui_env.controller.apply_app(name, spec)
    ui_env.controller.wait_app(name, lambda a: sync_status(a) == "OutOfSync", "compared")
    admin_api(ui_env).post(f"/api/v1/applications/{name}/sync", json={}).raise_for_status()
    ui_env.controller.wait_app(name, lambda a: operation_phase(a) == "Succeeded", "synced")
    deadline = time.monotonic() + 60
    while "Running" not in ui_env.cluster.kubectl("get", "pods", "-n", target_ns).stdout:
        assert time.monotonic() < deadline, "the Deployment's Pod never ran"
        time.sleep(0.3)
    marker = uuid.uuid4().hex[:6]
    _log(ui_env, f"{marker} started")
    admin_page.goto(f"{ui_env.server.url}/applications/{name}")
    admin_page.locator("[data-testid=tree-node][data-name=web-logs]").click()
    panel = admin_page.get_by_test_id("resource-panel")
    panel.get_by_role("button", name="Logs").click()
    logs = panel.get_by_test_id("pod-logs")
    logs.get_by_text(f"{marker} started").wait_for(timeout=LIVE)
    _log(ui_env, f"{marker} followed")  # followed: appears without reload
    logs.get_by_text(f"{marker} followed").wait_for(timeout=LIVE)
    pod = panel.get_by_label("Pod")
    options = [o for o in pod.locator("option").all_inner_texts() if o.startswith("web-logs-")]
    assert len(options) == 1, options
    pod.select_option(options[0])
    logs.get_by_text(f"{marker} followed").wait_for(timeout=LIVE)
    shot(admin_page, ui_env, "pod-logs")
    # the Pod node itself, a child in no Git manifest: its live manifest and its events
    pod_name = options[0]
    get_uid = ("get", "pod", pod_name, "-n", target_ns, "-o", "jsonpath={.metadata.uid}")
    uid = ui_env.cluster.kubectl(*get_uid).stdout.strip()
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"probe-{marker}", "namespace": target_ns},
        "involvedObject": {"kind": "Pod", "name": pod_name, "namespace": target_ns, "uid": uid},
        "reason": "Probed",
        "message": f"{marker} probed",
        "type": "Normal",
    }
    ui_env.cluster.kubectl("apply", "-f", "-", stdin=json.dumps(event))
    panel.get_by_role("button", name="Close").click()
    admin_page.locator(f"[data-testid=tree-node][data-name='{pod_name}']").click()
    panel.get_by_role("button", name="Live manifest").click()
    panel.locator("pre.manifest").get_by_text(f"uid: {uid}").wait_for(timeout=LIVE)
    panel.get_by_role("button", name="Desired manifest").click()
    panel.get_by_text("(not in Git: created by ReplicaSet web-logs-").wait_for()
    panel.get_by_role("button", name="Events").click()
    panel.get_by_test_id("events").get_by_text(f"{marker} probed").wait_for(timeout=LIVE)
    shot(admin_page, ui_env, "pod-events")
