"""The web UI: the single-page app built from ``ui/`` into ``dist/`` here, served at ``/``.

``dev/setup.sh`` builds it (``npm ci && npm run build`` in ``ui/``) into this
package, so a wheel ships it as package data and ``pip install`` users get
it. Any GET that is not an API route and not a file of the bundle answers
``index.html`` (SPA fallback: ``/applications/guestbook`` is a page of the
app, not a file). Under ``--rootpath`` / ``server.rootpath`` the server
writes the prefix into ``<base href>``, so one bundle serves any prefix (its
asset and API URLs are relative to it). Pages are sent with
``X-Frame-Options: sameorigin`` as Argo CD's default, and ``index.html`` is
never cached while the content-hashed assets are cached for a year.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from argosy.server.errors import NOT_FOUND, APIError

DIST = Path(__file__).parent / "dist"
NOT_BUILT = (
    "<!doctype html><title>Argosy</title><h1>The Argosy web UI is not built</h1>"
    "<p>Run <code>bash dev/setup.sh</code> (it runs <code>npm ci &amp;&amp; npm run build</code> in "
    "<code>ui/</code>) and restart <code>argosy server</code>. The API is served at "
    "<code>api/v1</code> all the same.</p>"
)
_FRAME = {"X-Frame-Options": "sameorigin", "Content-Security-Policy": "frame-ancestors 'self'"}
_API_PREFIXES = ("api/", "auth/", "swagger", "openapi.json", "metrics", "healthz")


def index_html(root_path: str, dist: Path = DIST) -> str | None:
    """``index.html`` with ``<base href>`` set to the root path; None when the UI is not built."""
    index = dist / "index.html"
    if not index.is_file():
        return None
    base = root_path.rstrip("/") + "/"
    return index.read_text(encoding="utf-8").replace('<base href="/" />', f'<base href="{base}" />', 1)


def _asset(dist: Path, path: str) -> Path | None:
    """The bundle's file at ``path``, never outside ``dist`` (``..`` and links are refused)."""
    if not path or path.endswith("/") or any(part.startswith(".") for part in path.split("/")):
        return None  # no directories, no dotfiles (the build stamp), no ".."
    candidate = (dist / path).resolve()
    root = dist.resolve()
    if root not in candidate.parents or not candidate.is_file():
        return None
    return candidate


def install_ui(app: FastAPI, dist: Path = DIST) -> None:
    """Add the UI's catch-all GET route; call after every API route is registered."""

    @app.get("/{path:path}", include_in_schema=False)
    def web_ui(path: str, request: Request) -> Response:
        if path.startswith(_API_PREFIXES):
            raise APIError(
                NOT_FOUND,
                f"no API route {request.url.path}: see {request.scope.get('root_path', '')}/swagger-ui",
            )
        asset = _asset(dist, path)
        if asset is not None:
            cache = "public, max-age=31536000, immutable" if path.startswith("assets/") else "no-cache"
            media = mimetypes.guess_type(asset.name)[0] or "application/octet-stream"
            return FileResponse(asset, media_type=media, headers={"Cache-Control": cache, **_FRAME})
        page = index_html(str(request.scope.get("root_path", "")), dist)
        if page is None:
            return HTMLResponse(NOT_BUILT, status_code=503, headers=_FRAME)
        return HTMLResponse(page, headers={"Cache-Control": "no-cache", **_FRAME})
