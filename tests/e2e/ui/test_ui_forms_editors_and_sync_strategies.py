"""The web UI's editing surfaces in headless Chromium against a real server, controller and Git server:
the spec editor marks a YAML error and the server's refusal on the lines they concern; the full
"New app" form (project from the server's list, cluster by name, every sync option, retry) creates
exactly the Application it shows; the sync panel's Apply only skips hooks and Replace + Force
re-creates objects; an app with many objects of one kind draws them as one group node that opens."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from ui_support import LIVE, UiEnv, admin_api, login, open_create_form, open_sync_panel, shot

from support.controller import sync_status


@pytest.fixture(scope="module")
def page(ui_env: UiEnv, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    login(page, ui_env)
    yield page
    context.close()


def _target(env: UiEnv, what: str) -> str:
    namespace = f"{env.namespace}-{what}-{uuid.uuid4().hex[:5]}"
    env.cluster.kubectl("create", "namespace", namespace)
    return namespace


def _spec(env: UiEnv, path: str, namespace: str) -> dict[str, Any]:
    return {
        "project": "default",
        "source": {"repoURL": env.repo_url, "path": path, "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
    }


def _configmap(env: UiEnv, namespace: str) -> dict[str, Any]:
    out = env.cluster.kubectl("get", "configmap", "web-config", "-n", namespace, "-o", "json").stdout
    return json.loads(out)  # type: ignore[no-any-return]


def _last_sync(app: dict[str, Any]) -> dict[str, Any]:
    return (((app.get("status") or {}).get("operationState") or {}).get("operation") or {}).get("sync") or {}


def _open_app(page: Any, env: UiEnv, name: str, status: str) -> None:
    page.goto(f"{env.server.url}/applications/{name}")
    page.get_by_test_id("sync-status").get_by_text(status, exact=True).wait_for(timeout=LIVE)


def test_the_spec_editor_marks_yaml_and_server_errors_on_their_lines(ui_env: UiEnv, page: Any) -> None:
    name = f"spec-{uuid.uuid4().hex[:5]}"
    namespace = _target(ui_env, "spec")
    ui_env.controller.apply_app(name, _spec(ui_env, "web", namespace))
    _open_app(page, ui_env, name, "OutOfSync")
    page.get_by_role("button", name="Edit spec").click()
    editor = page.get_by_label("Application spec")
    assert "repoURL: " + ui_env.repo_url in editor.inner_text()
    problems = page.get_by_test_id("yaml-problems")

    # A YAML error: marked on its line as it is typed, and nothing is sent.
    editor.fill("project: default\nsource:\n  path: web\n   repoURL: x\n")
    problems.locator("li[data-line='3']").first.wait_for()  # at 'web', which the bad key follows
    page.locator(".cm-lintRange-error").first.wait_for()  # the editor's own mark (linted after a pause)
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("alert").inner_text().startswith("YAML:")

    # Valid YAML the server refuses: its message lands on the field it names.
    broken = {**_spec(ui_env, "web", namespace), "destination": {"namespace": namespace}}
    editor.fill(json.dumps(broken, indent=2))
    page.get_by_test_id("yaml-problems").wait_for(state="detached")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("alert").filter(has_text="spec.destination").wait_for(timeout=LIVE)
    destination_line = 1 + next(
        i for i, line in enumerate(json.dumps(broken, indent=2).splitlines()) if '"destination"' in line
    )
    marked = problems.locator(f"li[data-line='{destination_line}']")
    marked.wait_for()
    assert "spec.destination" in marked.inner_text()
    shot(page, ui_env, "spec-editor-server-error")

    # Fixed: saved, and the marks are gone.
    fixed = {**_spec(ui_env, "web", namespace), "revisionHistoryLimit": 3}
    editor.fill(json.dumps(fixed, indent=2))
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Spec saved").wait_for(timeout=LIVE)
    assert problems.count() == 0
    assert ui_env.controller.app(name)["spec"]["revisionHistoryLimit"] == 3


def test_the_full_create_form_creates_exactly_what_it_shows(ui_env: UiEnv, page: Any) -> None:
    """Project chosen from the server's list, cluster by name, every sync option, retry, automated."""
    project = f"forms-{uuid.uuid4().hex[:5]}"
    spec = {"sourceRepos": ["*"], "destinations": [{"name": "*", "server": "*", "namespace": "*"}]}
    admin_api(ui_env).post(
        "/api/v1/projects", json={"project": {"metadata": {"name": project}, "spec": spec}}
    ).raise_for_status()
    name = f"form-{uuid.uuid4().hex[:5]}"
    namespace = f"{ui_env.namespace}-{name}"  # created by the sync (Auto-create namespace)
    open_create_form(page, ui_env)
    page.locator(f"select[name=project] option[value='{project}']").wait_for(state="attached", timeout=LIVE)
    page.fill("input[name=name]", name)
    page.select_option("select[name=project]", project)
    page.fill("input[name=repoURL]", ui_env.repo_url)
    page.fill("input[name=path]", "web")
    page.get_by_label("Cluster by").select_option("name")
    page.locator("select[name=clusterName] option[value='in-cluster']").wait_for(state="attached")
    page.select_option("select[name=clusterName]", "in-cluster")
    page.fill("input[name=namespace]", namespace)
    page.get_by_label("Automated sync").check()
    page.get_by_label("Prune resources").check()
    page.get_by_label("Self heal").check()
    for option in ("Auto-create namespace", "Server-side apply", "Prune last", "Apply out of sync only"):
        page.get_by_label(option).check()
    page.get_by_label("Prune propagation policy").select_option("background")
    page.get_by_label("Retry", exact=True).check()
    page.get_by_label("Retry limit").fill("3")
    page.get_by_label("Backoff duration").fill("soon")
    page.click("button[type=submit]")
    assert "backoff duration 'soon' is not a duration" in page.get_by_role("alert").inner_text()
    page.get_by_label("Backoff duration").fill("10s")
    shot(page, ui_env, "create-form-full")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(rf"/applications/{name}$"))

    created = ui_env.controller.app(name)["spec"]
    assert created["project"] == project
    assert created["destination"] == {"name": "in-cluster", "namespace": namespace}
    assert created["syncPolicy"] == {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": [
            "CreateNamespace=true",
            "ApplyOutOfSyncOnly=true",
            "ServerSideApply=true",
            "PruneLast=true",
            "PrunePropagationPolicy=background",
        ],
        "retry": {"limit": 3, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}},
    }
    page.get_by_test_id("sync-status").get_by_text("Synced", exact=True).wait_for(timeout=LIVE)  # automated
    ui_env.cluster.kubectl("get", "configmap", "web-config", "-n", namespace)
    ui_env.cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def test_apply_only_skips_hooks_and_replace_with_force_recreates(ui_env: UiEnv, page: Any) -> None:
    namespace = _target(ui_env, "strategy")
    # The hook path's PreSync Job never completes (conftest.py): a hook sync would run forever.
    hooked = f"apply-{uuid.uuid4().hex[:5]}"
    ui_env.controller.apply_app(hooked, _spec(ui_env, "hook", namespace))
    _open_app(page, ui_env, hooked, "Synced")
    panel = open_sync_panel(page)
    panel.get_by_label("Apply only").check()
    panel.get_by_role("button", name="Synchronize").click()
    page.get_by_test_id("operation-state").locator("[data-status=Succeeded]").wait_for(timeout=LIVE)
    operation = ui_env.controller.app(hooked)["status"]["operationState"]["operation"]["sync"]
    assert "apply" in operation["syncStrategy"], operation
    jobs = ui_env.cluster.kubectl("get", "jobs", "-n", namespace, "-o", "name").stdout
    assert jobs.strip() == "", f"apply only ran a hook: {jobs}"

    web = f"replace-{uuid.uuid4().hex[:5]}"
    ui_env.controller.apply_app(web, _spec(ui_env, "web", namespace))
    _open_app(page, ui_env, web, "OutOfSync")
    open_sync_panel(page).get_by_role("button", name="Synchronize").click()
    page.get_by_test_id("sync-status").get_by_text("Synced", exact=True).wait_for(timeout=LIVE)
    ui_env.cluster.kubectl("label", "configmap", "web-config", "-n", namespace, "added-by=kubectl")
    before = _configmap(ui_env, namespace)

    panel = open_sync_panel(page)
    panel.get_by_label("Replace").check()
    panel.get_by_label("Force").check()
    assert panel.get_by_role("button", name="Synchronize").is_disabled()  # replace asks for the name
    panel.get_by_label("Confirm sync").fill(web)
    panel.get_by_role("button", name="Synchronize").click()
    # the last sync already Succeeded: wait for this one (its options) to have
    ui_env.controller.wait_app(
        web,
        lambda a: (
            "Replace=true" in _last_sync(a).get("syncOptions", [])
            and a["status"]["operationState"].get("phase") == "Succeeded"
        ),
        "the Replace + Force sync succeeded",
        LIVE / 1000,
    )
    app = ui_env.controller.app(web)
    sync = app["status"]["operationState"]["operation"]["sync"]
    assert "Replace=true" in sync["syncOptions"] and sync["syncStrategy"]["hook"]["force"] is True, sync
    after = _configmap(ui_env, namespace)
    assert after["metadata"]["uid"] != before["metadata"]["uid"], "Replace + Force deletes and re-creates"
    assert "added-by" not in (after["metadata"].get("labels") or {}), "the object is Git's again, whole"
    assert sync_status(app) == "Synced"
    ui_env.cluster.kubectl("delete", "namespace", namespace, "--wait=false", check=False)


def test_many_objects_of_one_kind_are_one_group_node_that_opens(ui_env: UiEnv, page: Any) -> None:
    name = f"many-{uuid.uuid4().hex[:5]}"
    namespace = _target(ui_env, "many")
    ui_env.controller.apply_app(name, _spec(ui_env, "many", namespace))
    _open_app(page, ui_env, name, "OutOfSync")
    group = page.locator("[data-testid=tree-node][data-name='12 \u00d7 ConfigMap']")  # 12 x
    group.wait_for(timeout=LIVE)
    assert page.locator("[data-testid=tree-node][data-name=many-0]").count() == 0
    assert "12 out of sync" in group.inner_text()
    shot(page, ui_env, "tree-grouped")
    group.click()
    page.locator("[data-testid=tree-node][data-name=many-11]").wait_for()
    assert page.locator("[data-testid=tree-node][data-kind=ConfigMap]").count() == 12
