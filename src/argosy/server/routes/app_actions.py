"""Resource actions (restart, pause, resume, create-job, argocd-cm Lua actions), as Argo CD's API.

``GET /api/v1/applications/{name}/resource/actions`` lists what one object of
the app offers (``applications, get``); ``POST .../resource/actions`` (body:
the action name as a JSON string, the object in the query, as Argo CD's v1)
and ``POST .../resource/actions/v2`` (everything in the body) run one, after
``applications, action/<group>/<kind>/<action>``. The object is named by
``namespace``, ``resourceName``, ``group``, ``kind`` (``version`` is accepted
and not needed); see :mod:`argosy.server.resource_actions`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from argosy.server.apps import get_authorized_app
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import INVALID_ARGUMENT, APIError
from argosy.server.resource_actions import ResourceRef, list_actions, run

router = APIRouter(tags=["ApplicationService"])


def _ref(namespace: str, resourceName: str, group: str, kind: str) -> ResourceRef:
    if not kind or not resourceName:
        raise APIError(INVALID_ARGUMENT, "kind and resourceName are required to name the resource")
    return ResourceRef(group, kind, namespace, resourceName)


@router.get("/api/v1/applications/{name}/resource/actions")
def list_resource_actions(
    name: str,
    caller: Auth,
    ctx: Ctx,
    namespace: str = "",
    resourceName: str = "",
    group: str = "",
    kind: str = "",
    version: str = "",
    appNamespace: str = "",
) -> dict[str, Any]:
    """Argo CD's ``ResourceActionsListResponse``: ``{"actions": [{name, disabled, iconClass, ...}]}``."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    actions = list_actions(ctx, app, ctx.kube.client, _ref(namespace, resourceName, group, kind))
    return {"actions": [a.to_api() for a in actions]}


class RunActionV2(BaseModel):
    name: str = ""
    namespace: str = ""
    resourceName: str = ""
    group: str = ""
    kind: str = ""
    version: str = ""
    action: str = ""
    appNamespace: str = ""


def _run(ctx: Ctx, caller: Auth, name: str, app_ns: str, ref: ResourceRef, action: str) -> dict[str, Any]:
    if not action:
        raise APIError(INVALID_ARGUMENT, "action is required (e.g. restart)")
    app = get_authorized_app(ctx, caller, name, f"action/{ref.group}/{ref.kind}/{action}", app_ns)
    run(ctx, app, ctx.kube.client, ref, action)
    return app


@router.post("/api/v1/applications/{name}/resource/actions")
def run_resource_action(
    name: str,
    caller: Auth,
    ctx: Ctx,
    action: Annotated[str, Body()] = "",
    namespace: str = "",
    resourceName: str = "",
    group: str = "",
    kind: str = "",
    version: str = "",
    appNamespace: str = "",
) -> dict[str, Any]:
    """Run ``action`` on the object; answers the Application, as Argo CD."""
    return _run(ctx, caller, name, appNamespace, _ref(namespace, resourceName, group, kind), action)


@router.post("/api/v1/applications/{name}/resource/actions/v2")
def run_resource_action_v2(name: str, body: RunActionV2, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    ref = _ref(body.namespace, body.resourceName, body.group, body.kind)
    return _run(ctx, caller, name, body.appNamespace, ref, body.action)
