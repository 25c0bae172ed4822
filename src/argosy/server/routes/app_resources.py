"""Read-only views of an application: manifests, managed resources, resource tree and events.

``/manifests`` renders the app's sources with the repo service (in-process,
or ``argosy server --repo-server URL``) and ``/managed-resources`` compares
them with the live objects of the destination cluster, with the controller's
own comparison (:mod:`argosy.server.appstate`, :mod:`argosy.server.managed`),
so ``argosy app diff`` through the server shows what the controller sees.
Both answer in Argo CD's shapes (objects as JSON text). Secret values never
leave the server: rendered Secrets and Secret states are masked, as Argo CD
masks them. The resource tree is ``status.resources`` plus the live children and
networking information of :mod:`argosy.server.resourcetree`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query

from argosy.kube.errors import KubeError
from argosy.server.apps import get_authorized_app
from argosy.server.appstate import ComparisonFailed
from argosy.server.appstate import deletion_preview as preview_deletion
from argosy.server.appstate import managed_resources as compare_resources
from argosy.server.appstate import manifests as render_manifests
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import FAILED_PRECONDITION, INVALID_ARGUMENT, UNAVAILABLE, APIError, from_kube
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
        raise from_kube(err, f"events of application '{name}'") from None
    return {"metadata": {}, "items": items}
