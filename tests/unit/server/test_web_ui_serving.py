"""The web UI's files: SPA fallback, <base href> under a root path, caching, and nothing outside
the bundle or in place of an API route."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from argosy.server.app import RootPath
from argosy.server.errors import install_handlers
from argosy.server.run import normal_rootpath
from argosy.server.webui import install_ui

INDEX = '<!doctype html><html><head><base href="/" /></head><body><div id="root"></div></body></html>'


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    out = tmp_path / "dist"
    (out / "assets").mkdir(parents=True)
    (out / "index.html").write_text(INDEX)
    (out / "assets" / "index-abc123.js").write_text("console.log(1)")
    (out / ".argosy-built").write_text("stamp")
    (tmp_path / "secret.txt").write_text("outside the bundle")
    return out


def _client(dist: Path, prefix: str = "") -> TestClient:
    app = FastAPI()
    install_handlers(app)

    @app.get("/api/v1/thing")
    def thing() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/healthz")
    def healthz() -> str:
        return "ok"

    install_ui(app, dist)
    app.add_middleware(RootPath, prefix=prefix)
    return TestClient(app)


def test_pages_of_the_app_answer_index_html_and_assets_are_cached(dist: Path) -> None:
    client = _client(dist)
    for path in ("/", "/applications", "/applications/guestbook", "/settings"):
        resp = client.get(path)
        assert resp.status_code == 200 and '<base href="/" />' in resp.text, path
        assert resp.headers["cache-control"] == "no-cache"
        assert resp.headers["x-frame-options"] == "sameorigin"
    asset = client.get("/assets/index-abc123.js")
    assert asset.text == "console.log(1)" and "immutable" in asset.headers["cache-control"]
    assert "javascript" in asset.headers["content-type"]


def test_api_routes_win_and_unknown_api_paths_are_api_404s(dist: Path) -> None:
    client = _client(dist)
    assert client.get("/api/v1/thing").json() == {"ok": "yes"}
    missing = client.get("/api/v1/nothing")
    assert missing.status_code == 404 and missing.json()["code"] == 5


def test_no_file_outside_the_bundle_nor_a_dotfile_is_served(dist: Path) -> None:
    client = _client(dist)
    for path in ("/../secret.txt", "/assets/../../secret.txt", "/%2e%2e/secret.txt", "/.argosy-built"):
        resp = client.get(path)
        assert "outside the bundle" not in resp.text and "stamp" not in resp.text, path


def test_under_a_root_path_everything_moves_and_base_href_follows(dist: Path) -> None:
    client = _client(dist, normal_rootpath("argosy/"))
    page = client.get("/argosy/applications/x")
    assert page.status_code == 200 and '<base href="/argosy/" />' in page.text
    assert client.get("/argosy/api/v1/thing").json() == {"ok": "yes"}
    assert client.get("/argosy/assets/index-abc123.js").text == "console.log(1)"
    assert client.get("/healthz").status_code == 200  # probes need no prefix
    assert client.get("/api/v1/thing").status_code == 404
    redirect = client.get("/argosy", follow_redirects=False)
    assert redirect.status_code == 308 and redirect.headers["location"] == "/argosy/"


def test_without_a_build_the_page_says_how_to_build_it(tmp_path: Path) -> None:
    resp = _client(tmp_path / "none").get("/applications")
    assert resp.status_code == 503 and "dev/setup.sh" in resp.text


def test_root_paths_are_normalised() -> None:
    assert [normal_rootpath(v) for v in ("", "/", "argosy", "/argosy/", "/a//b/")] == [
        "",
        "",
        "/argosy",
        "/argosy",
        "/a/b",
    ]
