"""The Parameters tab, the live stream's reconnect and HTTPS, in headless Chromium against a real
server, controller, repo server and Git server.

* a multi-source app (a Helm chart and a Kustomize base from Git): the chart's defaults and
  values files come from the repository; a Helm parameter, a values file and a Kustomize image
  changed in the Parameters tab land in the Application's spec, the page shows it OutOfSync
  without a reload, and a sync renders them into the live objects;
* a chart from a Helm repository: its values files and defaults in the Parameters tab; a user
  who may sync one project's apps only is offered Sync for those (can-i per app), and a
  selection's refused apps are reported with the server's message;
* the server over HTTPS (its self-signed certificate) behind a loopback TCP proxy the test cuts:
  the session cookie is ``Secure``, the list says the live updates are interrupted, then resumes
  and shows an app created meanwhile, with no page reload.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from ui_support import LIVE, TEAM_PROJECT, UiEnv, admin_api, login

from argosy.server.deps import AUTH_COOKIE
from argosy.server.run import BackgroundServer
from support.controller import operation_phase, sync_status
from support.helm_repo import HelmRepoServer, make_chart
from support.tcp_proxy import TcpProxy

CHART = {
    "params-chart/Chart.yaml": "apiVersion: v2\nname: params-chart\nversion: 0.1.0\n",
    "params-chart/values.yaml": "replicaCount: 1\nimage: {tag: '1'}\n",
    "params-chart/values-prod.yaml": "extra: prod\n",
    "params-chart/templates/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: chart-web}\nspec:\n"
        "  replicas: {{ .Values.replicaCount }}\n  selector: {matchLabels: {app: chart-web}}\n"
        "  template:\n    metadata: {labels: {app: chart-web}}\n"
        "    spec: {containers: [{name: web, image: 'registry.local/chart:1'}]}\n"
    ),
    "params-kust/kustomization.yaml": "resources: [deployment.yaml]\n",
    "params-kust/deployment.yaml": (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: kust-web}\nspec:\n  replicas: 0\n"
        "  selector: {matchLabels: {app: kust-web}}\n  template:\n    metadata: {labels: {app: kust-web}}\n"
        "    spec: {containers: [{name: web, image: 'registry.local/kust:1'}]}\n"
    ),
}


def _deployment(env: UiEnv, name: str, namespace: str) -> dict[str, Any]:
    out = env.cluster.kubectl("get", "deployment", name, "-n", namespace, "-o", "json").stdout
    return dict(json.loads(out))


def test_helm_parameter_and_kustomize_image_edited_in_the_parameters_tab(ui_env: UiEnv, browser: Any) -> None:
    ui_env.repo.commit(CHART, "a chart and a kustomize base for the Parameters tab")
    name = f"params-{uuid.uuid4().hex[:5]}"
    dest = f"{ui_env.namespace}-{name}"
    repo = ui_env.repo_url
    spec = {
        "project": "default",
        "sources": [
            {"repoURL": repo, "path": "params-chart", "targetRevision": "HEAD",
             "helm": {"parameters": [{"name": "replicaCount", "value": "1"}]}},
            {"repoURL": repo, "path": "params-kust", "targetRevision": "HEAD"},
        ],
        "destination": {"server": "https://kubernetes.default.svc", "namespace": dest},
        "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
    }  # fmt: skip
    ui_env.controller.apply_app(name, spec)
    ui_env.controller.wait_app(name, lambda a: sync_status(a) == "OutOfSync", "compared")
    admin = admin_api(ui_env)
    admin.post(f"/api/v1/applications/{name}/sync", json={}).raise_for_status()
    ui_env.controller.wait_app(name, lambda a: sync_status(a) == "Synced", "synced")

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        login(page, ui_env)
        page.goto(f"{ui_env.server.url}/applications/{name}")
        page.get_by_test_id("sync-status").get_by_text("Synced").wait_for(timeout=LIVE)
        page.evaluate("window.__notReloaded = true")
        page.get_by_role("button", name="Parameters", exact=True).click()
        sections = page.get_by_test_id("source-parameters")
        helm, kust = sections.nth(0), sections.nth(1)
        assert (helm.get_attribute("data-type"), kust.get_attribute("data-type")) == ("Helm", "Kustomize")
        row = helm.locator("[data-testid=param-row][data-name=replicaCount]")
        assert row.get_by_label("Parameter value").input_value() == "1"
        # the chart's defaults (from .../appdetails, through the repo server) beside the override
        row.get_by_test_id("chart-default").get_by_text("chart default: 1").wait_for(timeout=LIVE)
        defaults = helm.get_by_test_id("chart-defaults")
        defaults.locator("summary").click()
        defaults.locator("tr[data-name='image.tag']").get_by_text("1", exact=True).wait_for()
        helm.get_by_test_id("chart-value-files").get_by_label("values-prod.yaml").check()
        row.get_by_label("Parameter value").fill("3")
        kust.get_by_label("Images (one per line: name=newName:tag or name:tag)").fill(
            "registry.local/kust=registry.local/kust:2"
        )
        page.screenshot(path=str(ui_env.screenshots / "parameters.png"), full_page=True)
        # values that are YAML but not an object: the server's validation message, as it words it
        helm.get_by_label("Values (YAML)").fill("- a\n- b\n")
        page.get_by_role("button", name="Save parameters").click()
        refusal = page.get_by_test_id("parameters").get_by_role("alert")
        refusal.wait_for(timeout=LIVE)
        assert "spec.sources[0].helm.valuesObject: expected object" in refusal.inner_text()
        helm.get_by_label("Values (YAML)").fill("")
        page.get_by_role("button", name="Save parameters").click()
        page.get_by_text("Parameters saved").wait_for(timeout=LIVE)
        page.get_by_test_id("sync-status").get_by_text("OutOfSync").wait_for(timeout=LIVE)
        assert page.evaluate("window.__notReloaded") is True
    finally:
        context.close()

    # alice, the read-only guest: the same form, disabled, and no Save button
    admin.put(
        "/api/v1/account/password",
        json={"name": "alice", "currentPassword": ui_env.admin_password, "newPassword": "alice-Passw0rd"},
    ).raise_for_status()
    context = browser.new_context()
    page = context.new_page()
    try:
        login(page, ui_env, "alice", "alice-Passw0rd")
        page.goto(f"{ui_env.server.url}/applications/{name}")
        page.get_by_role("button", name="Parameters", exact=True).click()
        section = page.get_by_test_id("source-parameters").first
        section.get_by_test_id("chart-default").wait_for(timeout=LIVE)  # appdetails answered alice
        page.wait_for_timeout(1000)  # and so have the can-i questions asked on load
        assert section.get_by_label("Parameter value").first.is_disabled()
        assert page.get_by_role("button", name="Save parameters").count() == 0
    finally:
        context.close()

    sources = ui_env.controller.app(name)["spec"]["sources"]
    assert sources[0]["helm"] == {
        "parameters": [{"name": "replicaCount", "value": "3"}],
        "valueFiles": ["values-prod.yaml"],
    }
    assert sources[1]["kustomize"] == {"images": ["registry.local/kust=registry.local/kust:2"]}
    admin.post(f"/api/v1/applications/{name}/sync", json={}).raise_for_status()
    ui_env.controller.wait_app(
        name, lambda a: sync_status(a) == "Synced" and operation_phase(a) == "Succeeded", "synced again"
    )
    assert _deployment(ui_env, "chart-web", dest)["spec"]["replicas"] == 3
    containers = _deployment(ui_env, "kust-web", dest)["spec"]["template"]["spec"]["containers"]
    assert containers[0]["image"] == "registry.local/kust:2"


def test_a_helm_repository_charts_defaults_and_sync_offered_per_app(
    ui_env: UiEnv, browser: Any, helm_repo: HelmRepoServer, tmp_path: Path
) -> None:
    helm_repo.add_chart(
        make_chart(
            tmp_path,
            "ui-params-chart",
            "1.4.0",
            {"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ui-params}\n"},
            {"image": {"repository": "registry.local/web", "tag": "1.4"}, "replicaCount": 2},
            extra_files={"values-prod.yaml": "replicaCount: 5\n"},
        )
    )
    admin = admin_api(ui_env)
    team = {"sourceRepos": ["*"], "destinations": [{"server": "*", "namespace": "*"}]}
    project = {"metadata": {"name": TEAM_PROJECT}, "spec": team}
    admin.post("/api/v1/projects", json={"project": project, "upsert": True}).raise_for_status()
    ours, theirs = (f"{who}-{uuid.uuid4().hex[:5]}" for who in ("team", "other"))
    ui_env.controller.apply_app(ours, {
        "project": TEAM_PROJECT,
        "source": {"repoURL": helm_repo.url, "chart": "ui-params-chart", "targetRevision": "1.4.0"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{ui_env.namespace}-team"},
        "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
    })  # fmt: skip
    ui_env.controller.apply_app(theirs, {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "web", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{ui_env.namespace}-other"},
    })  # fmt: skip
    admin.put(
        "/api/v1/account/password",
        json={"name": "bob", "currentPassword": ui_env.admin_password, "newPassword": "bob-Passw0rd"},
    ).raise_for_status()

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        login(page, ui_env, "bob", "bob-Passw0rd")
        # the list: Sync is offered for a selection holding an app bob may sync, not for one without
        sync = page.get_by_role("button", name="Sync", exact=True)
        page.locator(f"[data-testid=app-card][data-app='{theirs}']").wait_for(timeout=LIVE)
        with page.expect_response(lambda r: f"/can-i/applications/sync/default/{theirs}" in r.url):
            page.get_by_label(f"select {theirs}").check()
        page.get_by_role("button", name="Hard refresh").wait_for()
        page.wait_for_timeout(300)  # the answer rendered
        assert sync.count() == 0
        page.get_by_label(f"select {ours}").check()
        sync.wait_for(timeout=LIVE)
        sync.click()  # both are asked; the server's refusal of the other one is reported with its words
        notice = page.get_by_test_id("list-notice")
        notice.get_by_text("Sync requested for 1 of 2 app(s)").wait_for(timeout=LIVE)
        assert f"{theirs}: permission denied" in notice.inner_text()
        page.screenshot(path=str(ui_env.screenshots / "list-sync-one-project.png"), full_page=True)

        # the Parameters tab of the Helm-repository app: the chart's values files and defaults
        page.goto(f"{ui_env.server.url}/applications/{ours}")
        page.get_by_role("button", name="Sync", exact=True).wait_for(timeout=LIVE)  # can-i for this app
        page.get_by_role("button", name="Parameters", exact=True).click()
        section = page.get_by_test_id("source-parameters").first
        assert section.get_attribute("data-type") == "Helm"
        section.get_by_test_id("chart-value-files").get_by_label("values-prod.yaml").wait_for(timeout=LIVE)
        defaults = section.get_by_test_id("chart-defaults")
        defaults.locator("summary").get_by_text("Chart defaults (3)").click()
        chart_defaults = {"image.repository": "registry.local/web", "image.tag": "1.4", "replicaCount": "2"}
        for param, value in chart_defaults.items():
            defaults.locator(f"tr[data-name='{param}']").get_by_text(value, exact=True).wait_for()
        page.screenshot(path=str(ui_env.screenshots / "parameters-helm-repository.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture(scope="module")
def tls_behind_proxy(ui_env: UiEnv) -> Iterator[tuple[BackgroundServer, TcpProxy]]:
    """The server with TLS (argocd-secret's self-signed pair) behind a proxy the test can cut."""
    server = BackgroundServer(replace(ui_env.server.prepared.ctx.config, insecure=False)).start()
    try:
        with TcpProxy("127.0.0.1", server.port) as proxy:
            yield server, proxy
    finally:
        server.stop()


def test_over_https_the_cookie_is_secure_and_a_cut_stream_reconnects(
    ui_env: UiEnv, browser: Any, tls_behind_proxy: tuple[BackgroundServer, TcpProxy]
) -> None:
    server, proxy = tls_behind_proxy
    assert server.url.startswith("https://")
    base = f"https://127.0.0.1:{proxy.port}"
    spec = {
        "project": "default",
        "source": {"repoURL": ui_env.repo_url, "path": "web", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": f"{ui_env.namespace}-r"},
    }
    before, during = (f"{what}-{uuid.uuid4().hex[:5]}" for what in ("before", "during"))
    ui_env.controller.apply_app(before, spec)
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        login(page, ui_env, base=base)
        cookie = next(c for c in context.cookies() if c["name"] == AUTH_COOKIE)
        assert cookie["secure"] and cookie["httpOnly"], cookie
        card = "[data-testid=app-card][data-app='{}']"
        page.locator(card.format(before)).wait_for(timeout=LIVE)
        page.evaluate("window.__notReloaded = true")

        proxy.set_mode("refuse")  # the connection is cut, and so is every new attempt
        lost = page.get_by_test_id("stream-lost")
        lost.wait_for(timeout=LIVE)
        assert "reconnecting in" in lost.inner_text()
        page.screenshot(path=str(ui_env.screenshots / "stream-reconnecting.png"), full_page=True)
        ui_env.controller.apply_app(during, spec)
        time.sleep(1.5)  # at least one refused reconnect, so the backoff grows
        proxy.set_mode("forward")

        page.locator(card.format(during)).wait_for(timeout=LIVE)
        lost.wait_for(state="detached", timeout=LIVE)
        assert page.evaluate("window.__notReloaded") is True
        page.screenshot(path=str(ui_env.screenshots / "stream-resumed-https.png"), full_page=True)
    finally:
        context.close()
