"""The FastAPI application: routes, error shape and the OpenAPI document.

``create_app(ctx)`` builds the app for a :class:`ServerContext`; tests and
``argosy server`` both start from here. The OpenAPI document is served at
``/openapi.json`` and, as Argo CD publishes its own, ``/swagger.json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from argosy import __version__
from argosy.server.auth.oidc.refresh import SessionRefresh
from argosy.server.context import ServerContext
from argosy.server.csrf import DEFAULT_CONTENT_TYPES, BrowserContentTypes
from argosy.server.errors import install_handlers
from argosy.server.metrics import install_metrics
from argosy.server.routes import (
    account,
    app_actions,
    app_details,
    app_logs,
    app_operations,
    app_resources,
    app_revisions,
    applications,
    applicationsets,
    clusters,
    projects,
    repocreds,
    repositories,
    session,
    settings,
    sso,
    stream,
    tree_stream,
    webhook,
)
from argosy.server.webui import install_ui

ROUTERS = (
    session.router,
    sso.router,
    account.router,
    stream.router,
    tree_stream.router,
    app_operations.router,
    app_logs.router,
    app_revisions.router,
    app_details.router,
    app_resources.router,
    app_actions.router,
    applications.router,
    applicationsets.router,
    projects.router,
    clusters.router,
    repositories.router,
    repocreds.router,
    settings.router,
    webhook.router,
)


_JSON = b"application/json"
#: What clients send for a JSON body without saying so: curl -d says form-urlencoded.
_NOT_SAID = (b"", b"application/x-www-form-urlencoded", b"text/plain")


class JsonBodies:
    """Read every API request body as JSON, whatever its ``Content-Type`` says.

    Argo CD's grpc-gateway decodes JSON for any content type, so ``curl -d '{...}'``
    (sent as form-urlencoded) and clients that send no header at all work there;
    they work here too. Webhook payloads keep their own content types.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/v1/"):  # not /api/webhook
            given = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
            if given.split(b";")[0].strip().lower() in _NOT_SAID:
                headers = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
                scope = {**scope, "headers": [*headers, (b"content-type", _JSON)]}
        await self.app(scope, receive, send)


class RootPath:
    """Serve everything under ``prefix`` (``--rootpath``), as behind a reverse proxy on a sub-path.

    ``/prefix/x`` is routed as ``/x`` with ``root_path`` set (so the UI writes it into its
    ``<base href>``); ``/prefix`` redirects to ``/prefix/``; ``/healthz`` also answers at the
    top for probes; anything else is a 404 that names the prefix.
    """

    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or not self.prefix:
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(self.prefix + "/"):
            scope = {**scope, "path": path[len(self.prefix) :], "root_path": self.prefix}
            await self.app(scope, receive, send)
        elif path == "/healthz":
            await self.app(scope, receive, send)
        elif path == self.prefix:
            await _plain(send, 308, b"", [(b"location", (self.prefix + "/").encode())])
        else:
            await _plain(send, 404, f"not found: this server is served under {self.prefix}/\n".encode(), [])


async def _plain(send: Any, status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(ctx: ServerContext) -> FastAPI:
    app = FastAPI(
        title="Argosy API",
        description="GitOps continuous delivery for Kubernetes; Argo CD compatible REST API.",
        version=__version__,
        openapi_url="/openapi.json",
        docs_url="/swagger-ui",
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.add_middleware(JsonBodies)
    # Outside JsonBodies: it judges the content type the browser sent, before the rewrite.
    allowed = ctx.config.api_content_types
    app.add_middleware(BrowserContentTypes, allowed=DEFAULT_CONTENT_TYPES if allowed is None else allowed)
    app.add_middleware(SessionRefresh, renew=ctx.sso.renew, secure=lambda: not ctx.insecure)
    install_handlers(app)
    install_metrics(app)
    for router in ROUTERS:
        app.include_router(router)

    @app.get("/swagger.json", include_in_schema=False)
    def swagger() -> dict[str, Any]:
        return app.openapi()

    install_ui(app)  # last: its catch-all GET must not shadow an API route
    app.add_middleware(RootPath, prefix=ctx.config.rootpath or "")
    return app
