"""``/api/v1/applicationsets``: ApplicationSet list/get/create/delete and ``generate`` (a dry run).

RBAC resource ``applicationsets``, object ``<project>/<name>`` where the project
is the template's ``spec.project``, as in Argo CD. ``generate`` answers "what
would this ApplicationSet produce?" with the same code the controller runs,
against the clusters and projects that exist now; it needs only ``create``
permission, and never returns a Secret value.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from argosy.appset.generate import generate_applications
from argosy.appset.generators import GenerateContext
from argosy.appset.names import invalid_name_reason
from argosy.appset.status import CONFIRM_DELETION_ANNOTATION, pending_deletions
from argosy.appset.validate import known_clusters
from argosy.kube.errors import KubeError
from argosy.model.applicationset import ApplicationSet
from argosy.server.apps import PROJECTS
from argosy.server.auth.sessions import Caller
from argosy.server.context import ServerContext
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import (
    FAILED_PRECONDITION,
    INVALID_ARGUMENT,
    PERMISSION_DENIED,
    APIError,
    from_kube,
    not_found,
)
from argosy.settings.clusters import CLUSTER_SECRET_TYPE
from argosy.settings.repositories import SECRET_TYPE_LABEL

router = APIRouter(tags=["ApplicationSetService"])
PLURAL = "applicationsets"
RESOURCE = "applicationsets"


def rbac_object(appset: dict[str, Any]) -> str:
    project = (((appset.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "project"
    ) or "default"
    return f"{project}/{(appset.get('metadata') or {}).get('name', '')}"


def _namespace(ctx: ServerContext, requested: str) -> str:
    """The namespace asked for (the control plane's by default), refused with 403 unless the
    ApplicationSet controller manages sets there (``applicationsetcontroller.namespaces``)."""
    namespace = requested or ctx.namespace
    if not ctx.settings.appset_namespace_enabled(namespace):
        raise APIError(
            PERMISSION_DENIED,
            f"namespace '{namespace}' is not permitted: ApplicationSets are served from '{ctx.namespace}' "
            "and the namespaces listed in applicationsetcontroller.namespaces of argocd-cmd-params-cm",
        )
    return namespace


def _get(ctx: ServerContext, caller: Caller, name: str, namespace: str, action: str) -> dict[str, Any]:
    """The set, if the caller may see it; the same 403 for a missing set as for a hidden one."""
    appset = None if invalid_name_reason(name) else ctx.kube.get_argo(namespace, PLURAL, name)
    ctx.ensure_visible(
        caller,
        RESOURCE,
        ("get", action),
        rbac_object(appset) if appset is not None else None,
        any_project=(f"*/{name}",),
        kind="ApplicationSet",
        given=name,
    )
    if appset is None:  # ensure_visible raised already
        raise not_found("ApplicationSet", name, namespace)
    ctx.enforce(caller, RESOURCE, action, rbac_object(appset))
    return appset


def _clean(appset: dict[str, Any], namespace: str) -> dict[str, Any]:
    out = copy.deepcopy(appset)
    out.setdefault("apiVersion", "argoproj.io/v1alpha1")
    out.setdefault("kind", "ApplicationSet")
    meta = out.setdefault("metadata", {})
    meta["namespace"] = namespace
    for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        meta.pop(key, None)
    out.pop("status", None)
    return out


def _validate(appset: dict[str, Any]) -> None:
    name = (appset.get("metadata") or {}).get("name", "")
    if not name:
        raise APIError(INVALID_ARGUMENT, "ApplicationSet metadata.name is required")
    errors = ApplicationSet.from_dict(appset).errors
    if errors:
        raise APIError(INVALID_ARGUMENT, f"ApplicationSet '{name}' is invalid: " + "; ".join(errors))


@router.get("/api/v1/applicationsets")
def list_applicationsets(
    caller: Auth,
    ctx: Ctx,
    projects: list[str] = Query(default=[]),
    selector: str = "",
    appsetNamespace: str = "",
) -> dict[str, Any]:
    namespace = _namespace(ctx, appsetNamespace)
    items = ctx.kube.list_argo(namespace, PLURAL, selector).get("items") or []
    may_get = ctx.allowed_checker(caller, RESOURCE, "get")
    out = []
    for item in items:
        obj = rbac_object(item)
        if projects and obj.split("/", 1)[0] not in projects:
            continue
        if may_get(obj):
            out.append(item)
    return {"items": sorted(out, key=lambda a: str(a["metadata"]["name"]))}


@router.get("/api/v1/applicationsets/{name}")
def get_applicationset(name: str, caller: Auth, ctx: Ctx, appsetNamespace: str = "") -> dict[str, Any]:
    return _get(ctx, caller, name, _namespace(ctx, appsetNamespace), "get")


@router.post("/api/v1/applicationsets")
def create_applicationset(
    appset: dict[str, Any],
    caller: Auth,
    ctx: Ctx,
    upsert: bool = False,
    dryRun: bool = False,
) -> dict[str, Any]:
    namespace = _namespace(ctx, str((appset.get("metadata") or {}).get("namespace") or ""))
    wanted = _clean(appset, namespace)
    _validate(wanted)
    name = wanted["metadata"]["name"]
    ctx.enforce(caller, RESOURCE, "create", rbac_object(wanted))
    existing = ctx.kube.get_argo(namespace, PLURAL, name)
    if dryRun:
        return wanted
    try:
        if existing is None:
            return ctx.kube.create_argo(namespace, PLURAL, wanted)
        if existing.get("spec") == wanted.get("spec"):
            return existing
        if not upsert:
            raise APIError(
                INVALID_ARGUMENT,
                "existing ApplicationSet spec is different, use upsert flag to force update "
                f"(ApplicationSet '{name}')",
            )
        ctx.enforce(caller, RESOURCE, "update", rbac_object(existing))
        updated = copy.deepcopy(existing)
        updated["spec"] = wanted.get("spec") or {}
        meta = updated["metadata"]
        for key in ("labels", "annotations"):
            if key in wanted["metadata"]:
                meta[key] = wanted["metadata"][key]
        return ctx.kube.replace_argo(namespace, PLURAL, updated)
    except KubeError as err:
        raise from_kube(err, f"ApplicationSet '{name}'") from None


@router.delete("/api/v1/applicationsets/{name}")
def delete_applicationset(name: str, caller: Auth, ctx: Ctx, appsetNamespace: str = "") -> dict[str, Any]:
    namespace = _namespace(ctx, appsetNamespace)
    _get(ctx, caller, name, namespace, "delete")
    try:
        ctx.kube.delete_argo(namespace, PLURAL, name)
    except KubeError as err:
        raise from_kube(err, f"ApplicationSet '{name}'") from None
    return {}


@router.post("/api/v1/applicationsets/{name}/confirm-deletion")
def confirm_deletion(name: str, caller: Auth, ctx: Ctx, appsetNamespace: str = "") -> dict[str, Any]:
    """Let the held mass deletion the status reports proceed (exactly that many Applications)."""
    namespace = _namespace(ctx, appsetNamespace)
    appset = _get(ctx, caller, name, namespace, "delete")
    count = pending_deletions(appset.get("status") or {})
    if not count:
        raise APIError(
            FAILED_PRECONDITION, f"ApplicationSet '{name}' has no deletion waiting for confirmation"
        )
    patch = {"metadata": {"annotations": {CONFIRM_DELETION_ANNOTATION: str(count)}}}
    try:
        ctx.kube.patch_argo(namespace, PLURAL, name, patch)
    except KubeError as err:
        raise from_kube(err, f"ApplicationSet '{name}'") from None
    return {"count": count}


class GenerateRequest(BaseModel):
    applicationSet: dict[str, Any] = Field(default_factory=dict)


@router.post("/api/v1/applicationsets/generate")
def generate(body: GenerateRequest, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    """The Applications the set would produce now, and the errors the controller would report."""
    requested = str((body.applicationSet.get("metadata") or {}).get("namespace") or "")
    appset = _clean(body.applicationSet, _namespace(ctx, requested))
    _validate(appset)
    ctx.enforce(caller, RESOURCE, "create", rbac_object(appset))
    secrets = ctx.kube.list(ctx.namespace, "secrets", f"{SECRET_TYPE_LABEL}={CLUSTER_SECRET_TYPE}")
    items = ctx.kube.list_argo(ctx.namespace, PROJECTS).get("items") or []
    projects = {str(p["metadata"]["name"]): p for p in items}
    gen_ctx = GenerateContext(cluster_secrets=secrets, app_projects=list(projects))
    result = generate_applications(appset, gen_ctx, known_clusters(secrets), projects, ctx.namespace)
    return {"applications": result.applications, "errors": result.errors}
