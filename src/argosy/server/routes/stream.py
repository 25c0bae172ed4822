"""``/api/v1/stream/applications``: application changes as server-sent events.

Each event is one line ``data: {"result": {"type": "ADDED|MODIFIED|DELETED",
"application": {...}}}`` (the grpc-gateway stream format Argo CD's UI and CLI
read). Without ``resourceVersion`` the stream starts with every current
application as ``ADDED``; with the ``metadata.resourceVersion`` of a list (or
of the last event seen) it sends only what changed since. It follows the
server's watch cache of Applications (:mod:`argosy.server.appcache`), so a
change shows up as soon as the API server reports it and any number of
streams cost one Kubernetes watch. Only applications the caller may ``get``
are sent (checked per batch of events, so RBAC edits apply at once);
``fields`` projects each event as the list's ``fields`` projects items.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from argosy.server.apps import app_namespace, project_of, rbac_object
from argosy.server.auth.sessions import Caller
from argosy.server.context import ServerContext
from argosy.server.deps import Auth, Ctx
from argosy.server.listing import (
    FieldTree,
    compile_fields,
    label_matcher,
    parse_fields,
    project_tree,
    repo_matcher,
)

router = APIRouter(tags=["ApplicationService"])
log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
"""A comment line is sent after this long without events, so proxies keep the connection open."""
_SYNC_SECONDS = 30.0
SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
"""No caching, and no buffering by nginx-style proxies (events must reach the browser at once)."""
_BATCH = 500
"""Events sent in one write (and RBAC-checked together) when many arrive at once."""


def _sse(event_type: str, app: dict[str, Any], fields: FieldTree | None) -> bytes:
    payload: dict[str, Any] = {"result": {"type": event_type, "application": app}}
    if fields is not None:
        payload = project_tree(payload, fields)
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


@router.get("/api/v1/stream/applications")
async def stream_applications(
    request: Request,
    caller: Auth,
    ctx: Ctx,
    name: str = "",
    projects: Annotated[list[str] | None, Query()] = None,
    selector: str = "",
    repo: str = "",
    appNamespace: str = "",
    resourceVersion: str = "",
    fields: Annotated[
        list[str] | None,
        Query(description="Only these dotted paths of each event (result.type,result.application.spec)."),
    ] = None,
) -> StreamingResponse:
    namespace = app_namespace(ctx, appNamespace)
    wanted_projects = set(projects or [])
    labels = label_matcher(selector)
    from_repo = repo_matcher(repo) if repo else None
    paths = parse_fields(fields)
    if paths and not any(p[:2] == ["result", "type"] for p in paths):
        paths.append(["result", "type"])  # an event without its type cannot be applied
    tree = compile_fields(paths) if paths else None
    cache = ctx.apps.get(namespace)

    async def events() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()

        def listener(event_type: str, app: dict[str, Any]) -> None:
            if not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the server shut down meanwhile
                    loop.call_soon_threadsafe(queue.put_nowait, (event_type, app))

        await asyncio.to_thread(cache.wait_synced, _SYNC_SECONDS)
        unsubscribe = await asyncio.to_thread(cache.subscribe, listener, resourceVersion)
        try:
            while True:
                if await request.is_disconnected():
                    return
                try:
                    event_type, app = await asyncio.wait_for(queue.get(), timeout=KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                batch = [(event_type, app)]
                while not queue.empty() and len(batch) < _BATCH:
                    batch.append(queue.get_nowait())
                visible = await asyncio.to_thread(_visible, ctx, caller, batch, name, wanted_projects)
                chunks = [
                    _sse(t, a, tree)
                    for t, a in visible
                    if t == "DELETED" or (labels(a) and (from_repo is None or from_repo(a)))
                ]
                if chunks:
                    yield b"".join(chunks)
        finally:
            unsubscribe()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers=SSE_HEADERS,
    )


def _visible(
    ctx: ServerContext,
    caller: Caller,
    batch: list[tuple[str, dict[str, Any]]],
    name: str,
    projects: set[str],
) -> list[tuple[str, dict[str, Any]]]:
    """The events of ``batch`` the caller may see (RBAC read once per batch, so edits apply at once)."""
    may_get = ctx.allowed_checker(caller, "applications", "get")
    out = []
    for event_type, app in batch:
        if name and app["metadata"].get("name") != name:
            continue
        # A deletion too is told only to who could see the app: its name is the other project's data.
        if (not projects or project_of(app) in projects) and may_get(rbac_object(ctx, app)):
            out.append((event_type, app))
    return out
