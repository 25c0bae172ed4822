"""``/api/v1/applications/{name}/logs``: container logs of the app's Pods, streamed.

As Argo CD: the caller needs ``applications, get`` and ``logs, get`` on the
app (403 otherwise); ``podName`` names one Pod, or ``kind`` + ``resourceName``
(+ ``group``, ``namespace``) a managed workload whose Pods (at most 10) are
merged. Only Pods the app owns are read (:mod:`argosy.server.podlogs`); the
logs come from the destination cluster's ``pods/log`` through the same client
stack as everything else. The answer is newline-delimited JSON, one
``{"result": {"content", "podName", "timeStampStr", ...}}`` per line, and
a final ``{"result": {"last": true}}`` when every stream ended; with
``follow=true`` it ends when the client goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from argosy.kube.clients import KubeClient, LineStream
from argosy.kube.discovery import ApiResources, discover
from argosy.kube.errors import KubeError, http_status
from argosy.server.apps import destination_client, get_authorized_app, rbac_object
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import INVALID_ARGUMENT, NOT_FOUND, APIError, from_kube
from argosy.server.podlogs import (
    MAX_PODS,
    ObjKey,
    belongs_to,
    default_container,
    entry,
    key_of,
    last_entry,
    managed_keys,
    owner_chain,
    parse_line,
)

router = APIRouter(tags=["ApplicationService"])

_READ_SECONDS = 60.0
_FOLLOW_SECONDS = 24 * 3600.0
"""A followed log may stay quiet for long; the client's disconnect is what ends it."""


@dataclass
class _Target:
    client: KubeClient
    owned: bool  # the client was opened for this request and must be closed
    pods: list[dict[str, Any]] = field(default_factory=list)


def _get(client: KubeClient, resources: ApiResources, group: str, kind: str, ns: str, name: str) -> Any:
    res = resources.get(group, kind)
    if res is None:
        return None
    try:
        return client.request("GET", res.path(ns, name))
    except KubeError as exc:
        if http_status(exc) == 404:
            return None
        raise


def _select_pods(app: dict[str, Any], client: KubeClient, q: dict[str, str]) -> list[dict[str, Any]]:
    """The Pods the request names, each checked to be the app's; APIError otherwise."""
    name = app["metadata"]["name"]
    managed = managed_keys(app)
    namespace = q["namespace"] or str(
        ((app.get("spec") or {}).get("destination") or {}).get("namespace") or ""
    )
    resources = discover(client)

    def chain(pod: dict[str, Any]) -> list[ObjKey]:
        ns = str(pod["metadata"].get("namespace") or "")
        return [
            key_of({**pod, "apiVersion": "v1", "kind": "Pod"}),
            *owner_chain(pod, ns, lambda g, k, n, nm: _get(client, resources, g, k, n, nm)),
        ]

    if q["podName"]:
        pod = _get(client, resources, "", "Pod", namespace, q["podName"])
        if pod is None or not belongs_to(chain(pod), managed):
            raise APIError(
                NOT_FOUND,
                f"pod '{q['podName']}' in namespace '{namespace}' is not a resource of application '{name}'",
            )
        return [pod]
    wanted: ObjKey | None = None
    namespaces = {key[2] for key in managed if key[2]}
    if q["kind"] or q["resourceName"]:
        if not (q["kind"] and q["resourceName"]):
            raise APIError(INVALID_ARGUMENT, "name a resource with both kind and resourceName")
        wanted = (q["group"], q["kind"], namespace, q["resourceName"])
        if wanted not in managed:
            raise APIError(
                NOT_FOUND,
                f"{q['kind']} '{q['resourceName']}' in namespace '{namespace}' "
                f"is not a resource of application '{name}'",
            )
        namespaces = {namespace}
    found = []
    for ns in sorted(namespaces):  # no resource named: every Pod of the app, as Argo CD
        pods = client.request("GET", f"/api/v1/namespaces/{quote(ns, safe='')}/pods") or {}
        found += [p for p in pods.get("items") or [] if belongs_to(chain(p), managed, wanted)]
    found.sort(key=lambda p: str(p["metadata"].get("name")))
    return found[:MAX_PODS]


def _log_query(q: dict[str, str], follow: bool) -> dict[str, str]:
    query = {"timestamps": "true", "follow": "true" if follow else "false"}
    for key in ("tailLines", "sinceSeconds"):
        if q[key]:
            query[key] = q[key]
    if q["previous"] == "true":
        query["previous"] = "true"
    return query


@router.get("/api/v1/applications/{name}/logs")
async def pod_logs(
    name: str,
    request: Request,
    caller: Auth,
    ctx: Ctx,
    appNamespace: str = "",
    namespace: str = "",
    podName: str = "",
    container: str = "",
    group: str = "",
    kind: str = "",
    resourceName: str = "",
    tailLines: int | None = None,
    sinceSeconds: int | None = None,
    follow: bool = False,
    previous: bool = False,
) -> StreamingResponse:
    """Container logs of one Pod of the app, or of every Pod under a managed workload."""

    def prepare() -> _Target:
        app = get_authorized_app(ctx, caller, name, "get", appNamespace)
        ctx.enforce(caller, "logs", "get", rbac_object(ctx, app))
        client, owned = destination_client(ctx, app)
        pod = podName or (resourceName if kind == "Pod" and not group else "")
        q = {
            "namespace": namespace,
            "podName": pod,
            "group": group,
            "kind": kind,
            "resourceName": resourceName,
        }
        try:
            return _Target(client, owned, _select_pods(app, client, q))
        except KubeError as err:
            if owned:
                client.close()
            raise from_kube(err, f"pods of application '{name}'") from None
        except BaseException:
            if owned:
                client.close()
            raise

    target = await asyncio.to_thread(prepare)
    query = _log_query(
        {
            "tailLines": "" if tailLines is None else str(tailLines),
            "sinceSeconds": "" if sinceSeconds is None else str(sinceSeconds),
            "previous": "true" if previous else "",
        },
        follow,
    )
    timeout = _FOLLOW_SECONDS if follow else _READ_SECONDS

    async def lines() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        streams: list[LineStream] = []
        lock = threading.Lock()
        stopped = threading.Event()

        def put(item: bytes | None) -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed: the server shut down
                loop.call_soon_threadsafe(queue.put_nowait, item)

        def read(pod: dict[str, Any]) -> None:
            meta = pod["metadata"]
            pod_name = str(meta.get("name") or "")
            path = (
                f"/api/v1/namespaces/{quote(str(meta.get('namespace')), safe='')}"
                f"/pods/{quote(pod_name, safe='')}/log"
            )
            wanted = {**query, "container": container or default_container(pod)}
            try:
                stream = target.client.stream(path, wanted, timeout=timeout, kind="Pod")
                with lock:
                    streams.append(stream)
                if stopped.is_set():
                    stream.close()
                for raw in stream.lines():
                    put(entry(parse_line(pod_name, raw)))
            except KubeError as exc:
                if not stopped.is_set():
                    put(entry(parse_line(pod_name, f"error reading logs of pod {pod_name}: {exc}".encode())))
            finally:
                put(None)

        threads = [
            threading.Thread(target=read, args=(p,), name=f"pod-logs-{p['metadata']['name']}", daemon=True)
            for p in target.pods
        ]
        for t in threads:
            t.start()
        running = len(threads)
        try:
            while running:
                try:
                    item = await asyncio.wait_for(queue.get(), timeout=1.0)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    continue
                if item is None:
                    running -= 1
                else:
                    yield item
            yield last_entry()
        finally:
            stopped.set()
            with lock:
                for stream in streams:
                    stream.close()
            if target.owned:
                target.client.close()

    return StreamingResponse(
        lines(),
        media_type="application/json",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
