"""Read-only views of an application: manifests, managed resources, resource tree and events.

For now these answer from what the controller recorded in the
Application's status (``status.resources``, ``status.sync``), not by
rendering or reading the destination cluster. Secret values never leave the
server: any Secret state is masked.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi import APIRouter

from argosy.server.apps import get_authorized_app
from argosy.server.deps import Auth, Ctx
from argosy.server.kubeapi import KubeError

router = APIRouter(tags=["ApplicationService"])

_MASK = "++++++++"
_STATE_FIELDS = ("liveState", "targetState", "normalizedLiveState", "predictedLiveState")


def redact_secret(obj: Any) -> Any:
    """A Secret object (dict or JSON text) with every ``data``/``stringData`` value masked."""
    as_text = isinstance(obj, str)
    value = obj
    if as_text:
        try:
            value = json.loads(obj)
        except ValueError:
            return obj
    if not isinstance(value, dict) or value.get("kind") != "Secret":
        return obj
    out = copy.deepcopy(value)
    for key in ("data", "stringData"):
        if isinstance(out.get(key), dict):
            out[key] = {k: _MASK for k in out[key]}
    annotations = (out.get("metadata") or {}).get("annotations") or {}
    annotations.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return json.dumps(out) if as_text else out


def _resources(app: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in ((app.get("status") or {}).get("resources") or []) if isinstance(r, dict)]


@router.get("/api/v1/applications/{name}/manifests")
def manifests(
    name: str, caller: Auth, ctx: Ctx, revision: str = "", appNamespace: str = ""
) -> dict[str, Any]:
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    status = app.get("status") or {}
    dest = (app.get("spec") or {}).get("destination") or {}
    return {
        "manifests": [],
        "namespace": dest.get("namespace", ""),
        "server": dest.get("server", ""),
        "revision": revision or (status.get("sync") or {}).get("revision", ""),
        "sourceType": status.get("sourceType", ""),
    }


@router.get("/api/v1/applications/{name}/managed-resources")
def managed_resources(name: str, caller: Auth, ctx: Ctx, appNamespace: str = "") -> dict[str, Any]:
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    items = []
    for res in _resources(app):
        item = {k: res.get(k, "") for k in ("group", "kind", "namespace", "name")}
        item["status"] = res.get("status", "")
        item["hook"] = bool(res.get("hook", False))
        for state in _STATE_FIELDS:
            if state in res:
                item[state] = redact_secret(res[state]) if res.get("kind") == "Secret" else res[state]
        items.append(item)
    return {"items": items}


@router.get("/api/v1/applications/{name}/resource-tree")
def resource_tree(name: str, caller: Auth, ctx: Ctx, appNamespace: str = "") -> dict[str, Any]:
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    nodes = []
    for res in _resources(app):
        node: dict[str, Any] = {
            "group": res.get("group", ""),
            "version": res.get("version", ""),
            "kind": res.get("kind", ""),
            "namespace": res.get("namespace", ""),
            "name": res.get("name", ""),
        }
        if isinstance(res.get("health"), dict):
            node["health"] = res["health"]
        nodes.append(node)
    return {"nodes": nodes}


@router.get("/api/v1/applications/{name}/events")
def events(name: str, caller: Auth, ctx: Ctx, appNamespace: str = "") -> dict[str, Any]:
    """Kubernetes Events about the Application object itself."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    meta = app["metadata"]
    selector = f"involvedObject.name={meta['name']},involvedObject.namespace={meta['namespace']}"
    if meta.get("uid"):
        selector += f",involvedObject.uid={meta['uid']}"
    try:
        items = ctx.kube.list(meta["namespace"], "events", fieldSelector=selector)
    except KubeError as err:
        raise err.to_api_error(f"events of application '{name}'") from None
    return {"metadata": {}, "items": items}
