"""``GET /api/v1/applications`` answered from the server's watch cache: pages, ``fields``,
read-your-writes, and a stream resumed from the list's resourceVersion."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx

from support.api_server import ControlPlane, application, assert_error


def _names(body: dict[str, Any]) -> list[str]:
    return [a["metadata"]["name"] for a in body["items"]]


def test_pages_and_fields_cover_every_app_once(
    api: httpx.Client, admin: dict[str, str], control_plane: ControlPlane
) -> None:
    tag = uuid.uuid4().hex[:6]
    names = sorted(f"page-{tag}-{i}" for i in range(5))
    for name in names:
        app = application(name)
        app["metadata"]["labels"] = {"batch": tag}
        control_plane.apply(app)
    query: dict[str, Any] = {
        "selector": f"batch={tag}",
        "limit": 2,
        "fields": "items.metadata.name,items.spec.source.repoURL",
    }
    deadline = time.monotonic() + 10
    everything = {**query, "limit": 0}
    while len(_names(api.get("/api/v1/applications", headers=admin, params=everything).json())) < 5:
        assert time.monotonic() < deadline, "the watch cache never saw the applied apps"
        time.sleep(0.1)
    seen: list[str] = []
    pages = 0
    while True:
        body = api.get("/api/v1/applications", headers=admin, params=query).json()
        seen += _names(body)
        for item in body["items"]:
            assert set(item) == {"metadata", "spec"} and set(item["metadata"]) == {"name"}
            assert set(item["spec"]) == {"source"} and set(item["spec"]["source"]) == {"repoURL"}
        token = body["metadata"].get("continue")
        if not token:
            break
        pages += 1
        query["continue"] = token
    assert seen == names and pages == 2  # 2 + 2 with a token each, then the last 1


def test_a_created_app_is_listed_at_once_and_streamed_from_the_list_version(
    api: httpx.Client, admin: dict[str, str], server: Any
) -> None:
    before = api.get("/api/v1/applications", headers=admin, params={"limit": 1})
    assert before.status_code == 200, before.text
    version = before.json()["metadata"]["resourceVersion"]
    name = f"ryw-{uuid.uuid4().hex[:6]}"
    created = api.post("/api/v1/applications", headers=admin, json=application(name))
    assert created.status_code == 200, created.text
    listed = api.get("/api/v1/applications", headers=admin, params={"name": name})
    assert _names(listed.json()) == [name]  # no wait: the server reads its own write
    with (
        httpx.Client(base_url=server.url, timeout=30) as client,
        client.stream(
            "GET",
            "/api/v1/stream/applications",
            headers=admin,
            params={"resourceVersion": version, "fields": "result.application.metadata.name"},
        ) as resp,
    ):
        assert resp.status_code == 200
        for line in resp.iter_lines():
            if line.startswith("data: "):
                event = json.loads(line[6:])["result"]
                assert set(event) == {"type", "application"}
                got = event["application"]["metadata"]["name"]
                assert event["application"] == {"metadata": {"name": got}}
                if got == name:
                    assert event["type"] == "ADDED"
                    break


def test_bad_paging_is_refused_with_what_to_do(api: httpx.Client, admin: dict[str, str]) -> None:
    resp = api.get("/api/v1/applications", headers=admin, params={"limit": 1, "continue": "nope"})
    assert_error(resp, 400, 3, "list again without it")
    assert_error(api.get("/api/v1/applications", headers=admin, params={"selector": "a=(b"}), 400, 3, "a=(b")
    assert api.get("/api/v1/applications", params={"limit": 1}).status_code == 401
