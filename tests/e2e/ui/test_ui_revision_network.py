"""The application page in Chromium: the header shows the synced commit's message and author
(from ``/revisions/{rev}/metadata``), the Network view connects a Service to its Pods (from the
resource tree's ``networkingInfo``), and the Tree draws the Deployment's Pods under its ReplicaSet,
adding the Pods of a ``kubectl scale`` without a reload (the resource-tree stream), for an app with
a Deployment and a Service."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ui_support import LIVE, UiEnv

from support.controller import operation_phase, sync_status
from support.git_server import GitHttpServer
from support.gitrepo import git

MESSAGE = "Serve the shop through net-web"
NET_FILES = {
    "net/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: net-web}\n"
    "spec: {replicas: 2, selector: {matchLabels: {app: net-web}}, template: {metadata: {labels: "
    "{app: net-web}}, spec: {containers: [{name: main, image: nginx}]}}}\n",
    "net/service.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: net-web}\n"
    "spec: {selector: {app: net-web}, ports: [{port: 80}]}\n",
}


@pytest.fixture(scope="module")
def net_app(ui_env: UiEnv, git_server: GitHttpServer) -> Iterator[tuple[str, str]]:
    """A synced app from its own repository, whose last commit has a known author and message."""
    name = f"net-{uuid.uuid4().hex[:5]}"
    repo = git_server.create_repo(name)
    repo.commit(NET_FILES, message=f"{MESSAGE}\n\nTwo replicas behind one Service.")
    git("commit", "-q", "--amend", "--no-edit", "--author=Grace Hopper <grace@example.com>", cwd=repo.work)
    git("push", "-q", "--force", str(repo.bare), "main:refs/heads/main", cwd=repo.work)
    target_ns = f"{ui_env.namespace}-{name}"
    spec = {
        "project": "default",
        "source": {"repoURL": git_server.url(name), "path": "net", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": target_ns},
        "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
    }
    ui_env.controller.apply_app(name, spec)
    ui_env.controller.wait_app(name, lambda a: sync_status(a) == "OutOfSync", "compared")
    with httpx.Client(base_url=ui_env.server.url, timeout=30) as client:
        token = client.post("/api/v1/session", json={"username": "admin", "password": ui_env.admin_password})
        headers = {"Authorization": f"Bearer {token.json()['token']}"}
        client.post(f"/api/v1/applications/{name}/sync", json={}, headers=headers).raise_for_status()
    ui_env.controller.wait_app(name, lambda a: operation_phase(a) == "Succeeded", "synced")
    deadline = time.monotonic() + 60
    while ui_env.cluster.kubectl("get", "pods", "-n", target_ns, "-o", "name").stdout.count("pod/") < 2:
        assert time.monotonic() < deadline, "the Deployment's Pods never appeared"
        time.sleep(0.3)
    yield name, repo.sha("main")
    ui_env.cluster.kubectl("delete", "namespace", target_ns, "--wait=false", check=False)


@pytest.fixture(scope="module")
def page(ui_env: UiEnv, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(ui_env.server.url + "/applications")
    page.wait_for_url(re.compile(r"/login"))
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ui_env.admin_password)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/applications$"))
    yield page
    context.close()


def test_the_header_shows_the_synced_commits_message_and_author(
    ui_env: UiEnv, net_app: tuple[str, str], page: Any
) -> None:
    name, sha = net_app
    page.goto(f"{ui_env.server.url}/applications/{name}")
    page.get_by_test_id("sync-status").get_by_text(f"({sha[:7]})").wait_for(timeout=LIVE)
    meta = page.get_by_test_id("revision-metadata")
    meta.get_by_text(MESSAGE).wait_for(timeout=LIVE)
    text = meta.inner_text()
    assert "Grace Hopper <grace@example.com>" in text, text
    assert "Two replicas" not in text, text  # the first line only; the rest is the tooltip
    page.screenshot(path=str(ui_env.screenshots / "revision-metadata.png"), full_page=True)


def test_the_network_view_connects_the_service_to_its_pods(
    ui_env: UiEnv, net_app: tuple[str, str], page: Any
) -> None:
    name, _ = net_app
    page.goto(f"{ui_env.server.url}/applications/{name}")
    page.get_by_role("button", name="Network", exact=True).click()
    view = page.get_by_test_id("network-view")
    view.locator("[data-testid=tree-node][data-kind=Service][data-name=net-web]").wait_for(timeout=LIVE)
    pods = view.locator("[data-testid=tree-node][data-kind=Pod]")
    pods.nth(1).wait_for(timeout=LIVE)
    names = pods.evaluate_all("els => els.map(e => e.dataset.name)")
    assert len(names) == 2 and all(n.startswith("net-web-") for n in names), names
    service_id = f"/Service/{ui_env.namespace}-{name}/net-web"
    targets = view.locator(f"path[data-from='{service_id}']").evaluate_all(
        "els => els.map(e => e.dataset.to)"
    )
    assert sorted(t.rsplit("/", 1)[1] for t in targets) == sorted(names), targets
    page.screenshot(path=str(ui_env.screenshots / "network-view.png"), full_page=True)


def test_the_tree_shows_pods_under_their_replicaset_and_a_scale_up_without_reload(
    ui_env: UiEnv, net_app: tuple[str, str], page: Any
) -> None:
    """Last in the module: it leaves the Deployment at 3 replicas."""
    name, _ = net_app
    target_ns = f"{ui_env.namespace}-{name}"
    page.goto(f"{ui_env.server.url}/applications/{name}")
    tree = page.get_by_test_id("resource-tree")
    pods = tree.locator("[data-testid=tree-node][data-kind=Pod]")
    tree.locator("[data-testid=tree-node][data-kind=Pod] [data-status=Healthy]").nth(1).wait_for(timeout=LIVE)
    rs_name = tree.locator("[data-testid=tree-node][data-kind=ReplicaSet]").get_attribute("data-name")
    rs_id = f"apps/ReplicaSet/{target_ns}/{rs_name}"

    def pods_under_the_replicaset() -> list[str]:
        targets = tree.locator(f"path[data-from='{rs_id}']").evaluate_all("els => els.map(e => e.dataset.to)")
        return sorted(t.rsplit("/", 1)[1] for t in targets)

    names = sorted(pods.evaluate_all("els => els.map(e => e.dataset.name)"))
    assert len(names) == 2 and pods_under_the_replicaset() == names, names
    deployment_id = f"apps/Deployment/{target_ns}/net-web"
    assert tree.locator(f"path[data-from='{deployment_id}'][data-to='{rs_id}']").count() == 1
    page.evaluate("window.sameDocument = true")  # a reload would forget it
    ui_env.cluster.kubectl("scale", "deployment", "net-web", "-n", target_ns, "--replicas=3")
    pods.nth(2).wait_for(timeout=LIVE)
    assert page.evaluate("window.sameDocument === true")
    grown = sorted(pods.evaluate_all("els => els.map(e => e.dataset.name)"))
    assert set(names) < set(grown) and pods_under_the_replicaset() == grown, grown
    page.screenshot(path=str(ui_env.screenshots / "resource-tree-pods.png"), full_page=True)
