"""``/api/v1/applications``: list, get, create, update, patch and delete Applications.

List answers only the applications the caller may ``get``; every other route
checks ``applications, <action>, <project>/<name>``. Create and update are
checked against the AppProject (source repos, destinations, namespaces) and
refused with the rule that failed.
"""

from __future__ import annotations

import copy
import json
from typing import Annotated, Any

import jsonpatch
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from argosy.engine.mergepatch import merge_patch
from argosy.kube.errors import KubeError
from argosy.model.constants import RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND
from argosy.server.apps import (
    PLURAL,
    app_namespace,
    get_app,
    get_authorized_app,
    project_of,
    rbac_object,
    update_app,
    validate_app,
)
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import INVALID_ARGUMENT, UNAVAILABLE, APIError, from_kube
from argosy.server.listing import label_matcher, page, parse_fields, repo_matcher, under
from argosy.server.listing import project as project_fields

router = APIRouter(tags=["ApplicationService"])

REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
_COPIED_META = ("labels", "annotations", "finalizers")


def _strip_server_fields(app: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(app)
    out.setdefault("apiVersion", "argoproj.io/v1alpha1")
    out.setdefault("kind", "Application")
    meta = out.setdefault("metadata", {})
    for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        meta.pop(key, None)
    out.pop("status", None)
    out.pop("operation", None)
    return out


#: How long a list waits for a namespace's application cache to fill on first use.
CACHE_SYNC_SECONDS = 120.0


@router.get("/api/v1/applications")
def list_applications(
    caller: Auth,
    ctx: Ctx,
    projects: Annotated[list[str] | None, Query()] = None,
    project: Annotated[list[str] | None, Query()] = None,
    selector: str = "",
    name: str = "",
    repo: str = "",
    appNamespace: str = "",
    fields: Annotated[
        list[str] | None,
        Query(
            description="Only these dotted paths of the answer, comma-separated or repeated, as Argo CD "
            "(items.metadata.name,items.status.sync.status,metadata.resourceVersion)."
        ),
    ] = None,
    limit: Annotated[int, Query(description="At most this many items (0: all), as Kubernetes lists.")] = 0,
    continue_: Annotated[
        str, Query(alias="continue", description="metadata.continue of the previous page.")
    ] = "",
) -> JSONResponse:
    """The applications the caller may ``get``, sorted by name, from the server's watch cache.

    With ``limit`` the answer is one page and ``metadata.continue`` fetches the next (no
    ``remainingItemCount``: counting would check every app the caller may not see);
    ``metadata.resourceVersion`` resumes ``/api/v1/stream/applications`` exactly after this list.
    """
    wanted = set(projects or []) | set(project or [])
    labels = label_matcher(selector)
    from_repo = repo_matcher(repo) if repo else None
    paths = parse_fields(fields)
    namespace = app_namespace(ctx, appNamespace)
    cache = ctx.apps.get(namespace)
    if not cache.wait_synced(CACHE_SYNC_SECONDS):
        detail = cache.snapshot().error or "the first list of applications did not finish"
        raise APIError(UNAVAILABLE, f"applications in namespace {namespace!r} not readable yet: {detail}")
    snap = cache.snapshot()
    may_get = ctx.allowed_checker(caller, "applications", "get")

    def keep(app: dict[str, Any]) -> bool:
        return (
            (not wanted or project_of(app) in wanted)
            and (not name or app["metadata"].get("name") == name)
            and labels(app)
            and (from_repo is None or from_repo(app))
            and may_get(rbac_object(ctx, app))
        )

    chunk, token = page(snap.items, limit, continue_, snap.resource_version, keep)
    meta: dict[str, Any] = {"resourceVersion": snap.resource_version}
    if token:
        meta["continue"] = token
    # The list's own metadata (version, paging) is always sent: it is small and paging needs it.
    items = project_fields(chunk, under(paths, ["items"])) if paths else chunk
    # Serialised directly: FastAPI's generic encoder walks every value of 10,000 apps first.
    return JSONResponse({"metadata": meta, "items": items})


@router.get("/api/v1/applications/{name}")
def get_application(
    name: str, caller: Auth, ctx: Ctx, refresh: str = "", appNamespace: str = ""
) -> dict[str, Any]:
    """``refresh=normal|hard`` asks the controller to compare again (annotation, as Argo CD)."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    if refresh:
        if refresh not in ("normal", "hard"):
            raise APIError(INVALID_ARGUMENT, f"refresh must be 'normal' or 'hard', not {refresh!r}")
        patch = {"metadata": {"annotations": {REFRESH_ANNOTATION: refresh}}}
        try:
            app = ctx.kube.patch_argo(app_namespace(ctx, appNamespace), PLURAL, name, patch)
        except KubeError as err:
            raise from_kube(err, f"application '{name}'") from None
    return app


def _same_spec(existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
    em, wm = existing.get("metadata") or {}, wanted.get("metadata") or {}
    return existing.get("spec") == wanted.get("spec") and all(
        (em.get(k) or None) == (wm.get(k) or None) for k in _COPIED_META
    )


@router.post("/api/v1/applications")
def create_application(
    body: dict[str, Any], caller: Auth, ctx: Ctx, upsert: bool = False, validate: bool = True
) -> dict[str, Any]:
    app = _strip_server_fields(body)
    name = str(app["metadata"].get("name") or "")
    if not name:
        raise APIError(INVALID_ARGUMENT, "application metadata.name is required")
    ns = app_namespace(ctx, str(app["metadata"].get("namespace") or ""))
    app["metadata"]["namespace"] = ns
    ctx.enforce(caller, "applications", "create", rbac_object(ctx, app))
    if validate:
        validate_app(ctx, app)
    existing = ctx.kube.get_argo(ns, PLURAL, name)
    if existing is not None:
        if _same_spec(existing, app):
            return existing
        if not upsert:
            raise APIError(
                INVALID_ARGUMENT,
                f"existing application spec is different, use upsert flag to force update "
                f"(application '{name}')",
            )
        ctx.enforce(caller, "applications", "update", rbac_object(ctx, existing))
        return _write_spec(ctx, name, ns, app)
    try:
        return ctx.kube.create_argo(ns, PLURAL, app)
    except KubeError as err:
        raise from_kube(err, f"application '{name}'") from None


def _write_spec(ctx: Any, name: str, namespace: str, wanted: dict[str, Any]) -> dict[str, Any]:
    def mutate(current: dict[str, Any]) -> None:
        current["spec"] = copy.deepcopy(wanted.get("spec") or {})
        meta, new_meta = current.setdefault("metadata", {}), wanted.get("metadata") or {}
        for key in _COPIED_META:
            if new_meta.get(key) is not None:
                meta[key] = copy.deepcopy(new_meta[key])
            else:
                meta.pop(key, None)

    return update_app(ctx, name, namespace, mutate)


def _check_update(
    ctx: Ctx, caller: Auth, current: dict[str, Any], wanted: dict[str, Any], validate: bool
) -> None:
    ctx.enforce(caller, "applications", "update", rbac_object(ctx, wanted))
    if project_of(current) != project_of(wanted):
        ctx.enforce(caller, "applications", "update", rbac_object(ctx, current))
    if validate:
        validate_app(ctx, wanted)


@router.put("/api/v1/applications/{name}")
def update_application(
    name: str, body: dict[str, Any], caller: Auth, ctx: Ctx, validate: bool = True, appNamespace: str = ""
) -> dict[str, Any]:
    current = get_authorized_app(ctx, caller, name, "update", appNamespace)
    wanted = _strip_server_fields(body)
    wanted.setdefault("metadata", {}).update({"name": name, "namespace": current["metadata"]["namespace"]})
    _check_update(ctx, caller, current, wanted, validate)
    return _write_spec(ctx, name, current["metadata"]["namespace"], wanted)


@router.put("/api/v1/applications/{name}/spec")
def update_application_spec(
    name: str, body: dict[str, Any], caller: Auth, ctx: Ctx, validate: bool = True, appNamespace: str = ""
) -> dict[str, Any]:
    current = get_authorized_app(ctx, caller, name, "update", appNamespace)
    wanted = copy.deepcopy(current)
    wanted["spec"] = body
    _check_update(ctx, caller, current, wanted, validate)
    return _write_spec(ctx, name, current["metadata"]["namespace"], wanted)["spec"]  # type: ignore[no-any-return]


class PatchRequest(BaseModel):
    name: str = ""
    patch: str = ""
    patchType: str = "json"
    appNamespace: str = ""


def apply_patch(app: dict[str, Any], patch_text: str, patch_type: str) -> dict[str, Any]:
    """The application with a JSON (RFC 6902) or merge (RFC 7386) patch applied."""
    try:
        patch = json.loads(patch_text)
    except ValueError as err:
        raise APIError(INVALID_ARGUMENT, f"patch is not valid JSON: {err}") from None
    if patch_type == "json":
        try:
            result: dict[str, Any] = jsonpatch.apply_patch(app, patch)
        except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as err:
            raise APIError(INVALID_ARGUMENT, f"cannot apply JSON patch: {err}") from None
        return result
    if patch_type == "merge":
        if not isinstance(patch, dict):
            raise APIError(INVALID_ARGUMENT, "a merge patch must be a JSON object")
        return merge_patch(copy.deepcopy(app), patch)
    raise APIError(INVALID_ARGUMENT, f"Patch type '{patch_type}' is not supported: use 'json' or 'merge'")


@router.patch("/api/v1/applications/{name}")
def patch_application(name: str, body: PatchRequest, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    current = get_authorized_app(ctx, caller, name, "update", body.appNamespace)
    wanted = apply_patch(current, body.patch, body.patchType)
    wanted.setdefault("metadata", {}).update({"name": name, "namespace": current["metadata"]["namespace"]})
    _check_update(ctx, caller, current, wanted, True)
    return _write_spec(ctx, name, current["metadata"]["namespace"], wanted)


def propagation_finalizer(policy: str) -> str:
    """Argo CD: ``foreground`` (default) or ``background`` deletion of the app's resources."""
    value = policy.strip().lower()
    if value in ("", "foreground"):
        return RESOURCES_FINALIZER
    if value == "background":
        return RESOURCES_FINALIZER_BACKGROUND
    raise APIError(
        INVALID_ARGUMENT, f"invalid propagation policy: {policy} (use 'foreground' or 'background')"
    )


@router.delete("/api/v1/applications/{name}")
def delete_application(
    name: str,
    caller: Auth,
    ctx: Ctx,
    cascade: bool | None = None,
    propagationPolicy: str = "",
    appNamespace: str = "",
) -> dict[str, Any]:
    """Delete; with cascade (default) the resources finalizer makes the controller delete the
    app's resources first."""
    app = get_authorized_app(ctx, caller, name, "delete", appNamespace)
    ns = app["metadata"]["namespace"]
    if cascade is False and propagationPolicy:
        raise APIError(INVALID_ARGUMENT, "cannot set propagation policy when cascading is disabled")
    wanted_finalizer = propagation_finalizer(propagationPolicy) if cascade is not False else ""

    def finalizers_for(current: list[str]) -> list[str]:
        """Argo CD's SetCascadedDeletion/UnSetCascadedDeletion: one resources finalizer, or none."""
        resource_finalizers = {RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND}
        new = [f for f in current if f not in resource_finalizers or f == wanted_finalizer]
        if wanted_finalizer and wanted_finalizer not in new:
            new.append(wanted_finalizer)
        return new

    current = list((app.get("metadata") or {}).get("finalizers") or [])
    if finalizers_for(current) != current:

        def mutate(obj: dict[str, Any]) -> None:
            meta = obj.setdefault("metadata", {})
            meta["finalizers"] = finalizers_for(list(meta.get("finalizers") or []))

        update_app(ctx, name, ns, mutate)
    try:
        ctx.kube.delete_argo(ns, PLURAL, name)
    except KubeError as err:
        raise from_kube(err, f"application '{name}'") from None
    return {}


__all__ = ["apply_patch", "get_app", "propagation_finalizer", "router"]
