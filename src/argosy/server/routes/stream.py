"""``/api/v1/stream/applications``: application changes as server-sent events.

Each event is one line ``data: {"result": {"type": "ADDED|MODIFIED|DELETED",
"application": {...}}}`` (the grpc-gateway stream format Argo CD's UI and CLI
read). Without ``resourceVersion`` the stream starts with every current
application as ``ADDED``. It follows a Kubernetes watch on Applications, so a
change shows up as soon as the API server reports it, and only applications
the caller may ``get`` are sent (checked per event, so RBAC edits apply at once).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from argosy.server.apps import PLURAL, app_namespace, project_of, rbac_object
from argosy.server.auth.sessions import Caller
from argosy.server.context import ServerContext
from argosy.server.deps import Auth, Ctx
from argosy.server.kubeapi import KubeError

router = APIRouter(tags=["ApplicationService"])

_KEEPALIVE_SECONDS = 15.0
_WATCH_SLICE_SECONDS = 30


def _watch_thread(
    ctx: ServerContext,
    namespace: str,
    resource_version: str,
    loop: asyncio.AbstractEventLoop,
    queue: asyncio.Queue[dict[str, Any] | None],
    stop: threading.Event,
) -> None:
    version = resource_version
    try:
        while not stop.is_set():
            for event in ctx.kube.watch_argo(namespace, PLURAL, version, _WATCH_SLICE_SECONDS):
                if stop.is_set():
                    return
                obj = event.get("object") or {}
                if event.get("type") == "ERROR":
                    # the version is too old (410 Gone): re-list and continue from now
                    version = str(
                        (ctx.kube.list_argo(namespace, PLURAL).get("metadata") or {}).get(
                            "resourceVersion", ""
                        )
                    )
                    break
                version = str((obj.get("metadata") or {}).get("resourceVersion") or version)
                if loop.is_closed():
                    return
                loop.call_soon_threadsafe(queue.put_nowait, {"type": event.get("type"), "object": obj})
    except Exception:  # the API server went away; end the stream, the client reconnects
        pass
    finally:
        if not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the server shut down meanwhile
                loop.call_soon_threadsafe(queue.put_nowait, None)


def _wanted(ctx: ServerContext, caller: Caller, app: dict[str, Any], name: str, projects: set[str]) -> bool:
    if name and (app.get("metadata") or {}).get("name") != name:
        return False
    if projects and project_of(app) not in projects:
        return False
    return ctx.allowed(caller, "applications", "get", rbac_object(ctx, app))


def _sse(event_type: str, app: dict[str, Any]) -> bytes:
    payload = {"result": {"type": event_type, "application": app}}
    return f"data: {json.dumps(payload, separators=(',', ':'))}\n\n".encode()


@router.get("/api/v1/stream/applications")
async def stream_applications(
    request: Request,
    caller: Auth,
    ctx: Ctx,
    name: str = "",
    projects: Annotated[list[str] | None, Query()] = None,
    selector: str = "",
    appNamespace: str = "",
    resourceVersion: str = "",
) -> StreamingResponse:
    namespace = app_namespace(ctx, appNamespace)
    wanted_projects = set(projects or [])
    initial: list[dict[str, Any]] = []
    version = resourceVersion
    if not version:
        try:
            listing = await asyncio.to_thread(ctx.kube.list_argo, namespace, PLURAL, selector)
        except KubeError as err:
            raise err.to_api_error("applications") from None
        version = str((listing.get("metadata") or {}).get("resourceVersion") or "")
        initial = list(listing.get("items") or [])
    labels = _selector_matcher(selector)

    async def events() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        stop = threading.Event()
        thread = threading.Thread(
            target=_watch_thread, args=(ctx, namespace, version, loop, queue, stop), daemon=True
        )
        thread.start()
        try:
            for app in initial:
                if await asyncio.to_thread(_wanted, ctx, caller, app, name, wanted_projects):
                    yield _sse("ADDED", app)
            while True:
                if await request.is_disconnected():
                    return
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=_KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if item is None:
                    return
                app = item["object"]
                if not labels(app):
                    continue
                if await asyncio.to_thread(_wanted, ctx, caller, app, name, wanted_projects):
                    yield _sse(str(item["type"]), app)
        finally:
            stop.set()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


def _selector_matcher(selector: str) -> Any:
    """Equality-based label selectors (``a=b,c!=d,e``) for watch events (the list used the API server)."""
    rules: list[tuple[str, str, str]] = []
    for part in (p.strip() for p in selector.split(",") if p.strip()):
        if "!=" in part:
            key, value = part.split("!=", 1)
            rules.append((key.strip(), "!=", value.strip()))
        elif "=" in part:
            key, value = part.split("=", 1)
            rules.append((key.strip(), "=", value.strip().lstrip("=")))
        else:
            rules.append((part, "exists", ""))

    def matches(app: dict[str, Any]) -> bool:
        app_labels = (app.get("metadata") or {}).get("labels") or {}
        for key, op, value in rules:
            if op == "=" and app_labels.get(key) != value:
                return False
            if op == "!=" and app_labels.get(key) == value:
                return False
            if op == "exists" and key not in app_labels:
                return False
        return True

    return matches
