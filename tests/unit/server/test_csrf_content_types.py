"""Cross-site request forgery: which requests must declare a JSON body (Argo CD's --api-content-types)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from argosy.server.csrf import (
    DEFAULT_CONTENT_TYPES,
    BrowserContentTypes,
    content_types_from_params,
    parse_content_types,
    refused,
)

JSON = DEFAULT_CONTENT_TYPES


COOKIE = {b"cookie": b"theme=dark; argocd.token=a-session"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "expected"),
    [
        # what a same-site HTML form can send with the cookie: refused
        ("POST", "/api/v1/applications", {**COOKIE, b"content-type": b"text/plain"}, True),
        (
            "POST",
            "/api/v1/applications",
            {**COOKIE, b"content-type": b"application/x-www-form-urlencoded"},
            True,
        ),
        (
            "POST",
            "/api/v1/applications",
            {**COOKIE, b"content-type": b"multipart/form-data; boundary=x"},
            True,
        ),
        ("POST", "/api/v1/applications/a/sync", COOKIE, True),
        ("DELETE", "/api/v1/applications/a", COOKIE, True),
        # login CSRF: a browser's form (it always sends Origin / Sec-Fetch-*) must declare JSON ...
        ("POST", "/api/v1/session", {b"content-type": b"text/plain", b"origin": b"https://evil"}, True),
        ("POST", "/api/v1/session", {b"sec-fetch-site": b"same-site"}, True),
        # ... while curl -d (no content type, or its form type) logs in as with Argo CD's gateway
        ("POST", "/api/v1/session", {}, False),
        ("POST", "/api/v1/session", {b"content-type": b"application/x-www-form-urlencoded"}, False),
        ("POST", "/api/v1/session", {**COOKIE, b"content-type": b"text/plain"}, False),  # curl, again
        # what the UI sends (a JSON body needs a CORS preflight a foreign page never gets)
        ("POST", "/api/v1/applications", {**COOKIE, b"content-type": b"application/json"}, False),
        (
            "POST",
            "/api/v1/applications",
            {**COOKIE, b"content-type": b"Application/JSON; charset=utf-8"},
            False,
        ),
        # not state-changing, not the API, a webhook, or a token a browser never adds by itself
        ("GET", "/api/v1/applications", COOKIE, False),
        ("HEAD", "/api/v1/applications", {}, False),
        ("OPTIONS", "/api/v1/applications", {}, False),
        ("POST", "/auth/callback", COOKIE, False),
        # no credentials at all: the route answers 401
        ("DELETE", "/api/v1/applications/a", {b"cookie": b"argocd.token.other=x"}, False),
        ("DELETE", "/api/v1/session", {}, False),
        ("POST", "/api/webhook", {b"content-type": b"application/x-www-form-urlencoded"}, False),
        (
            "POST",
            "/api/v1/applications",
            {b"authorization": b"Bearer t", b"content-type": b"text/plain"},
            False,
        ),
    ],
)
def test_which_requests_are_refused(
    method: str, path: str, headers: dict[bytes, bytes], expected: bool
) -> None:
    assert refused(method, path, headers, JSON) is expected


def test_an_empty_setting_turns_the_check_off_and_a_missing_one_is_the_default() -> None:
    assert not refused("POST", "/api/v1/applications", {**COOKIE, b"content-type": b"text/plain"}, ())
    assert content_types_from_params({}) == ("application/json",)
    assert content_types_from_params({"server.api.content.types": ""}) == ()
    assert parse_content_types(" application/json ; text/plain;") == ("application/json", "text/plain")


def test_the_middleware_answers_415_before_the_route_runs() -> None:
    calls: list[str] = []
    app = FastAPI()

    @app.post("/api/v1/applications")
    def create() -> dict[str, str]:
        calls.append("create")
        return {}

    app.add_middleware(BrowserContentTypes, allowed=JSON)
    client = TestClient(app, cookies={"argocd.token": "a-session"})
    forged = client.post("/api/v1/applications", content=b'{"x":1}', headers={"content-type": "text/plain"})
    assert forged.status_code == 415
    assert (
        "application/json" in forged.json()["message"]
        and "server.api.content.types" in forged.json()["message"]
    )
    assert calls == []
    assert client.post("/api/v1/applications", json={"x": 1}).status_code == 200
    assert calls == ["create"]
