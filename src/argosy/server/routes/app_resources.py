"""Read-only views of an application: manifests, managed resources, resource tree and events.

``/manifests`` renders the app's sources with the repo service (in-process,
or ``argosy server --repo-server URL``) and ``/managed-resources`` compares
them with the live objects of the destination cluster, with the controller's
own comparison (:mod:`argosy.server.appstate`, :mod:`argosy.server.managed`),
so ``argosy app diff`` through the server shows what the controller sees.
Both answer in Argo CD's shapes (objects as JSON text). Secret values never
leave the server: rendered Secrets and Secret states are masked, as Argo CD
masks them. The resource tree is ``status.resources`` plus the live children and
networking information of :mod:`argosy.server.resourcetree`; ``/resource`` (one live object)
and ``/events`` with ``resourceName`` read only objects of that tree, in the destination cluster.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query

from argosy.engine.diff.redact import mask_secret
from argosy.kube.discovery import discover
from argosy.kube.errors import KubeError
from argosy.server.apps import destination_client, get_authorized_app
from argosy.server.appstate import ComparisonFailed
from argosy.server.appstate import deletion_preview as preview_deletion
from argosy.server.appstate import managed_resources as compare_resources
from argosy.server.appstate import manifests as render_manifests
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import (
    FAILED_PRECONDITION,
    INVALID_ARGUMENT,
    NOT_FOUND,
    UNAVAILABLE,
    APIError,
    from_kube,
)
from argosy.server.resourcetree import tree_nodes

router = APIRouter(tags=["ApplicationService"])

_STATE_FIELDS = ("targetState", "liveState", "normalizedLiveState", "predictedLiveState")


def _api_error(exc: ComparisonFailed) -> APIError:
    return APIError(UNAVAILABLE if exc.unavailable else FAILED_PRECONDITION, exc.message)


def _source_revisions(positions: list[int], revisions: list[str]) -> dict[int, str]:
    if len(positions) != len(revisions):
        raise APIError(
            INVALID_ARGUMENT,
            f"sourcePositions ({len(positions)}) and revisions ({len(revisions)}) must pair up one to one",
        )
    return dict(zip(positions, revisions, strict=True))


@router.get("/api/v1/applications/{name}/manifests")
def manifests(
    name: str,
    caller: Auth,
    ctx: Ctx,
    revision: str = "",
    appNamespace: str = "",
    sourcePositions: Annotated[list[int] | None, Query()] = None,
    revisions: Annotated[list[str] | None, Query()] = None,
) -> dict[str, Any]:
    """The app's manifests rendered at ``revision`` (default: its targetRevision), Secrets masked."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    per_source = _source_revisions(sourcePositions or [], revisions or [])
    try:
        result = render_manifests(
            ctx, app, ctx.renderer, ctx.kube.client, revision=revision, source_revisions=per_source
        )
    except ComparisonFailed as exc:
        raise _api_error(exc) from None
    return {
        "manifests": [json.dumps(o, separators=(",", ":")) for o in result.objects],
        "namespace": result.namespace,
        "server": result.server,
        "revision": result.revision,
        "sourceType": result.source_type,
    }


def _matches(item: dict[str, Any], wanted: dict[str, str]) -> bool:
    return all(not value or item.get(key) == value for key, value in wanted.items())


@router.get("/api/v1/applications/{name}/managed-resources")
def managed_resources(
    name: str,
    caller: Auth,
    ctx: Ctx,
    appNamespace: str = "",
    namespace: str = "",
    resourceName: str = "",
    group: str = "",
    kind: str = "",
) -> dict[str, Any]:
    """Argo CD's ``ResourceDiff`` items (hooks left out, as Argo CD), states as JSON text."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    try:
        items = compare_resources(ctx, app, ctx.renderer, ctx.kube.client)
    except ComparisonFailed as exc:
        raise _api_error(exc) from None
    wanted = {"namespace": namespace, "name": resourceName, "group": group, "kind": kind}
    out = []
    for item in items:
        if item["hook"] or not _matches(item, wanted):
            continue
        for state in _STATE_FIELDS:
            item[state] = json.dumps(item.get(state), separators=(",", ":"))
        out.append(item)
    return {"items": out}


@router.get("/api/v1/applications/{name}/deletion-preview")
def deletion_preview(name: str, caller: Auth, ctx: Ctx, appNamespace: str = "") -> dict[str, Any]:
    """What a cascade deletion would delete and keep (and why), before the user confirms.

    Not in Argo CD's API: ``argosy app delete`` shows it, as ``kubectl delete --dry-run`` would."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    try:
        return {"items": preview_deletion(ctx, app, ctx.kube.client)}
    except ComparisonFailed as exc:
        raise _api_error(exc) from None


@router.get("/api/v1/applications/{name}/resource-tree")
def resource_tree(name: str, caller: Auth, ctx: Ctx, appNamespace: str = "") -> dict[str, Any]:
    """Argo CD's ApplicationTree: managed resources, the ReplicaSets/Jobs/Pods they own (with
    ``parentRefs``) and ``networkingInfo`` of Services, Ingresses and Pods (the Network view)."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    return {"nodes": tree_nodes(ctx, app)}


def _tree_node(ctx: Ctx, app: dict[str, Any], wanted: dict[str, str], what: str, uid: str = "") -> None:
    """404 unless a node of the app's resource tree has ``wanted``'s values (and ``uid``, when both
    the request and the node have one): Argo CD serves a resource's manifest and events only for
    the objects of the app's tree, so ``applications, get`` never reads other objects of the cluster."""
    for node in tree_nodes(ctx, app):
        if all(str(node.get(key) or "") == value for key, value in wanted.items()) and (
            not uid or not node.get("uid") or node["uid"] == uid
        ):
            return
    app_name = app["metadata"]["name"]
    raise APIError(
        NOT_FOUND,
        f"{what} is not in the resource tree of application '{app_name}' "
        "(its resource-tree lists the objects whose manifest and events can be read)",
    )


def _where(kind: str, name: str, namespace: str) -> str:
    return f"{kind} '{name}'" + (f" in namespace '{namespace}'" if namespace else "")


@router.get("/api/v1/applications/{name}/resource")
def resource(
    name: str,
    caller: Auth,
    ctx: Ctx,
    appNamespace: str = "",
    namespace: str = "",
    resourceName: str = "",
    version: str = "",
    group: str = "",
    kind: str = "",
) -> dict[str, Any]:
    """Argo CD's ``ApplicationResourceResponse``: one live object of the app's tree (a managed
    resource or a ReplicaSet/Job/Pod it owns) as JSON text, Secret values masked.

    The UI's Live manifest of child nodes, which ``managed-resources`` does not list."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    if not kind or not resourceName:
        raise APIError(INVALID_ARGUMENT, "kind and resourceName are required to name the resource")
    what = _where(kind, resourceName, namespace)
    wanted = {"group": group, "kind": kind, "namespace": namespace, "name": resourceName}
    _tree_node(ctx, app, wanted, what)
    client, owned = destination_client(ctx, app)
    try:
        api_resource = discover(client).get(group, kind)
        if api_resource is None:
            served = f"the destination cluster serves no kind {kind} in group '{group}'"
            raise APIError(NOT_FOUND, f"{what}: {served}")
        obj = client.request("GET", api_resource.path(namespace, resourceName))
    except KubeError as err:
        raise from_kube(err, what) from None
    finally:
        if owned:
            client.close()
    return {"manifest": json.dumps(mask_secret(obj), separators=(",", ":"))}


def _involving(name: str, namespace: str, uid: str = "") -> str:
    """The field selector of the Events about one object (by uid too when it is known)."""
    selector = f"involvedObject.name={name},involvedObject.namespace={namespace}"
    return selector + (f",involvedObject.uid={uid}" if uid else "")


def _resource_events(ctx: Ctx, app: dict[str, Any], namespace: str, name: str, uid: str) -> list[Any]:
    """Kubernetes Events of one object of the app's tree, read in the destination cluster."""
    if not name:
        raise APIError(INVALID_ARGUMENT, "resourceName is required with resourceNamespace or resourceUID")
    what = f"resource '{name}'" + (f" in namespace '{namespace}'" if namespace else "")
    _tree_node(ctx, app, {"namespace": namespace, "name": name}, what, uid)
    selector = _involving(name, namespace, uid)
    # events of a cluster-scoped object are recorded in any namespace (mostly "default")
    path = f"/api/v1/namespaces/{quote(namespace, safe='')}/events" if namespace else "/api/v1/events"
    client, owned = destination_client(ctx, app)
    try:
        body = client.request("GET", path, query={"fieldSelector": selector}) or {}
    except KubeError as err:
        raise from_kube(err, f"events of {what}") from None
    finally:
        if owned:
            client.close()
    return list(body.get("items") or [])


@router.get("/api/v1/applications/{name}/events")
def events(
    name: str,
    caller: Auth,
    ctx: Ctx,
    appNamespace: str = "",
    resourceNamespace: str = "",
    resourceName: str = "",
    resourceUID: str = "",
) -> dict[str, Any]:
    """Kubernetes Events about the Application object itself or, as Argo CD, with ``resourceName``
    (+ ``resourceNamespace``, ``resourceUID``) about one object of its tree in the destination."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    if resourceName or resourceNamespace or resourceUID:
        items = _resource_events(ctx, app, resourceNamespace, resourceName, resourceUID)
        return {"metadata": {}, "items": items}
    meta = app["metadata"]
    selector = _involving(meta["name"], meta["namespace"], meta.get("uid") or "")
    try:
        items = ctx.kube.list(meta["namespace"], "events", fieldSelector=selector)
    except KubeError as err:
        raise from_kube(err, f"events of application '{name}'") from None
    return {"metadata": {}, "items": items}
