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
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from argosy.kube.errors import KubeError
from argosy.kube.watcher import KindWatcher, WatchSink
from argosy.kube.wellknown import APPLICATIONS
from argosy.server.apps import app_namespace, project_of, rbac_object
from argosy.server.auth.sessions import Caller
from argosy.server.context import ServerContext
from argosy.server.deps import Auth, Ctx

router = APIRouter(tags=["ApplicationService"])
log = logging.getLogger(__name__)

_KEEPALIVE_SECONDS = 15.0
_WATCH_SECONDS = 300


class _StreamSink(WatchSink):
    """Feeds one SSE stream from a :class:`~argosy.kube.watcher.KindWatcher` (its own thread).

    The watcher lists, watches, resumes and re-lists on ``410 Gone`` as every
    informer in Argosy does; a re-list is turned into the ADDED/MODIFIED/DELETED
    events that happened meanwhile, so the client's view stays exact.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[dict[str, Any]], initial: bool
    ) -> None:
        self.loop = loop
        self.queue = queue
        self.initial = initial
        self.known: dict[str, str] = {}
        """name -> resourceVersion of every Application sent so far."""

    def _put(self, event_type: str, obj: dict[str, Any]) -> None:
        if not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the server shut down meanwhile
                self.loop.call_soon_threadsafe(self.queue.put_nowait, {"type": event_type, "object": obj})

    def replace(self, watcher: KindWatcher, objects: list[dict[str, Any]]) -> None:
        first, self.initial = self.initial, False
        seen: dict[str, str] = {}
        for obj in objects:
            meta = obj.get("metadata") or {}
            name, version = str(meta.get("name") or ""), str(meta.get("resourceVersion") or "")
            seen[name] = version
            if first or name not in self.known:
                self._put("ADDED", obj)
            elif self.known[name] != version:
                self._put("MODIFIED", obj)
        for name in set(self.known) - set(seen):
            self._put("DELETED", {"metadata": {"name": name}})
        self.known = seen

    def event(self, watcher: KindWatcher, kind: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        name = str(meta.get("name") or "")
        if kind == "DELETED":
            self.known.pop(name, None)
        else:
            self.known[name] = str(meta.get("resourceVersion") or "")
        self._put(kind, obj)

    def healthy(self, watcher: KindWatcher) -> None:
        pass

    def failed(self, watcher: KindWatcher, error: KubeError) -> None:
        # The watcher retries with backoff; the client keeps its stream and sees the changes later.
        log.warning("application stream: %s: %s (retrying)", watcher.name, error)


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
    labels = _selector_matcher(selector)

    async def events() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        watcher = KindWatcher(
            ctx.kube.client,
            APPLICATIONS,
            _StreamSink(loop, queue, initial=not resourceVersion),
            namespace=namespace,
            watch_timeout_seconds=_WATCH_SECONDS,
        )
        watcher.resource_version = resourceVersion  # resume where the client left off
        watcher.start()
        try:
            while True:
                if await request.is_disconnected():
                    return
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=_KEEPALIVE_SECONDS)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                app = item["object"]
                if item["type"] != "DELETED" and not labels(app):
                    continue
                if await asyncio.to_thread(_wanted, ctx, caller, app, name, wanted_projects):
                    yield _sse(str(item["type"]), app)
        finally:
            watcher.stop()

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
