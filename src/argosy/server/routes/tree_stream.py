"""``/api/v1/stream/applications/{name}/resource-tree``: an application's resource tree, live.

Argo CD's ``ApplicationResourceTreeStream``: server-sent events whose data is
``{"result": {"nodes": [...]}}``, the same tree ``GET .../resource-tree`` answers
(:mod:`argosy.server.resourcetree`). The tree is sent once on connect, then again
whenever it differs from the last one sent: after a change of the Application
(followed through the server's watch cache, :mod:`argosy.server.appcache`, as the
applications stream is) and after each periodic re-read of its children
(``ServerConfig.tree_refresh``, 5 s by default: a ReplicaSet or Pod changes without
the Application changing). Streams of one application share each computed tree
(:mod:`argosy.server.treecache`), so many clients cost about what one does.

Authorization is the GET route's (``applications, get``: 403 before the stream
starts), checked again before every event sent, so a revoked permission ends the
stream at the next change; so does the deletion of the application.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from argosy.server.apps import get_authorized_app, rbac_object
from argosy.server.auth.sessions import Caller
from argosy.server.context import ServerContext
from argosy.server.deps import Auth, Ctx
from argosy.server.resourcetree import tree_nodes
from argosy.server.routes.stream import KEEPALIVE_SECONDS, SSE_HEADERS

router = APIRouter(tags=["ApplicationService"])

App = dict[str, Any]


def tree_inputs(app: Mapping[str, Any]) -> str:
    """A digest of what the tree is made of (the managed resources and where they live), so a
    change of anything else in the Application (``reconciledAt``, history) reuses the last tree."""
    spec, status = app.get("spec") or {}, app.get("status") or {}
    parts = [(app.get("metadata") or {}).get("namespace"), spec.get("destination"), status.get("resources")]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def may_get(ctx: ServerContext, caller: Caller, app: Mapping[str, Any]) -> bool:
    """Whether the caller may still ``get`` the app (its project may have changed, or the policy)."""
    return ctx.allowed(caller, "applications", "get", rbac_object(ctx, app))


def _event(ctx: ServerContext, app: Mapping[str, Any]) -> str:
    payload = {"result": {"nodes": tree_nodes(ctx, app)}}
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n"


def tree_event(ctx: ServerContext, app: Mapping[str, Any]) -> str:
    """The SSE event of ``app``'s tree, shared with the other streams of the app (blocking:
    Kubernetes reads). Not checked here: the caller's right is checked before it is sent."""
    meta = app.get("metadata") or {}
    key = (str(meta.get("namespace") or ""), str(meta.get("name") or ""))
    return ctx.trees.get(key, tree_inputs(app), lambda: _event(ctx, app))


@router.get("/api/v1/stream/applications/{name}/resource-tree")
async def stream_resource_tree(
    name: str, request: Request, caller: Auth, ctx: Ctx, appNamespace: str = ""
) -> StreamingResponse:
    """The app's resource tree (Argo CD's ApplicationTree) as server-sent events
    ``{"result": {"nodes": [...]}}``: at once, then each time it changes."""
    app = await asyncio.to_thread(get_authorized_app, ctx, caller, name, "get", appNamespace)
    cache = await asyncio.to_thread(ctx.apps.get, str(app["metadata"]["namespace"]))
    refresh = ctx.config.tree_refresh

    async def events() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        changes: asyncio.Queue[App | None] = asyncio.Queue()  # None: the app was deleted

        def listener(event_type: str, obj: App) -> None:
            if obj["metadata"].get("name") != name or loop.is_closed():
                return
            with contextlib.suppress(RuntimeError):  # the server shut down meanwhile
                loop.call_soon_threadsafe(changes.put_nowait, None if event_type == "DELETED" else obj)

        # The backlog holds the current app (as ADDED), so the first tree is from the cache's copy.
        unsubscribe = await asyncio.to_thread(cache.subscribe, listener)
        current: App | None = app
        last, last_write, next_read = "", loop.time(), loop.time()
        try:
            while True:
                if await request.is_disconnected():
                    return
                wait = next_read - loop.time()
                if changes.empty() and wait > 0:
                    with contextlib.suppress(TimeoutError):
                        current = await asyncio.wait_for(changes.get(), timeout=wait)
                while not changes.empty():  # a burst of changes: the latest state is what counts
                    current = changes.get_nowait()
                if current is None:
                    return
                next_read = loop.time() + refresh
                event = await asyncio.to_thread(tree_event, ctx, current)
                if event != last:
                    # Checked per event sent (not per re-read): an unchanged tree costs no RBAC read.
                    if not await asyncio.to_thread(may_get, ctx, caller, current):
                        return
                    last, last_write = event, loop.time()
                    yield event.encode()
                elif loop.time() - last_write >= KEEPALIVE_SECONDS:
                    last_write = loop.time()
                    yield b": keep-alive\n\n"
        finally:
            unsubscribe()

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)
