"""``/api/v1/projects``: AppProject CRUD and project-role tokens.

RBAC object of a project is its name (``projects, get, team-a``). A project
role token (``proj:<project>:<role>``) is recorded in the AppProject's
``spec.roles[].jwtTokens`` (and ``status.jwtTokensByRole``), as Argo CD; it
works only while it is listed there and only within its project.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from argosy.engine.project import validate_project
from argosy.engine.syncwindows import SyncWindows
from argosy.kube.errors import KubeError, http_status
from argosy.server.apps import PLURAL as APPS
from argosy.server.apps import PROJECTS, project_of
from argosy.server.auth.tokens import new_token_id
from argosy.server.context import ServerContext
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import (
    FAILED_PRECONDITION,
    INVALID_ARGUMENT,
    NOT_FOUND,
    APIError,
    from_kube,
    not_found,
)
from argosy.server.rbac import project_policy_problems

router = APIRouter(tags=["ProjectService"])


def _get(ctx: ServerContext, name: str) -> dict[str, Any]:
    project = ctx.kube.get_argo(ctx.namespace, PROJECTS, name)
    if project is None:
        raise not_found("AppProject", name, ctx.namespace)
    return project


def _validate(project: dict[str, Any]) -> None:
    """Refuse what Argo CD refuses at create/update, sync windows included (an unparsable schedule
    stored would only surface later as a condition on every app of the project)."""
    problems = [str(v) for v in validate_project(project)]
    problems += [str(v) for v in SyncWindows.from_project(project).violations()]
    problems += [str(p) for p in project_policy_problems(project)]
    if problems:
        name = (project.get("metadata") or {}).get("name", "")
        raise APIError(INVALID_ARGUMENT, f"AppProject '{name}' is invalid: " + "; ".join(problems))


def _clean(project: dict[str, Any], namespace: str) -> dict[str, Any]:
    out = copy.deepcopy(project)
    out.setdefault("apiVersion", "argoproj.io/v1alpha1")
    out.setdefault("kind", "AppProject")
    meta = out.setdefault("metadata", {})
    meta["namespace"] = namespace
    for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        meta.pop(key, None)
    out.pop("status", None)
    return out


def _replace(ctx: ServerContext, name: str, mutate: Any) -> dict[str, Any]:
    for _ in range(10):
        current = _get(ctx, name)
        updated = copy.deepcopy(current)
        mutate(updated)
        try:
            return ctx.kube.replace_argo(ctx.namespace, PROJECTS, updated)
        except KubeError as err:
            if http_status(err) != 409:
                raise from_kube(err, f"AppProject '{name}'") from None
    raise APIError(FAILED_PRECONDITION, f"AppProject '{name}': too many concurrent updates, retry")


@router.get("/api/v1/projects")
def list_projects(caller: Auth, ctx: Ctx) -> dict[str, Any]:
    items = ctx.kube.list_argo(ctx.namespace, PROJECTS).get("items") or []
    may_get = ctx.allowed_checker(caller, "projects", "get")
    allowed = [p for p in items if may_get(str((p.get("metadata") or {}).get("name")))]
    return {"items": sorted(allowed, key=lambda p: str(p["metadata"]["name"]))}


class ProjectCreate(BaseModel):
    project: dict[str, Any] = Field(default_factory=dict)
    upsert: bool = False


@router.post("/api/v1/projects")
def create_project(body: ProjectCreate, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    project = _clean(body.project, ctx.namespace)
    name = str(project["metadata"].get("name") or "")
    if not name:
        raise APIError(INVALID_ARGUMENT, "project metadata.name is required")
    ctx.enforce(caller, "projects", "create", name)
    _validate(project)
    existing = ctx.kube.get_argo(ctx.namespace, PROJECTS, name)
    if existing is not None:
        if existing.get("spec") == project.get("spec"):
            return existing
        if not body.upsert:
            raise APIError(
                INVALID_ARGUMENT,
                f"existing project spec is different, use upsert flag to force update (project '{name}')",
            )
        ctx.enforce(caller, "projects", "update", name)
        return _replace(ctx, name, lambda cur: cur.__setitem__("spec", project.get("spec") or {}))
    try:
        return ctx.kube.create_argo(ctx.namespace, PROJECTS, project)
    except KubeError as err:
        raise from_kube(err, f"AppProject '{name}'") from None


@router.get("/api/v1/projects/{name}")
def get_project(name: str, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    ctx.enforce(caller, "projects", "get", name)
    return _get(ctx, name)


class ProjectUpdate(BaseModel):
    project: dict[str, Any] = Field(default_factory=dict)


@router.put("/api/v1/projects/{name}")
def update_project(name: str, body: ProjectUpdate, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    ctx.enforce(caller, "projects", "update", name)
    wanted = _clean(body.project, ctx.namespace)
    wanted["metadata"]["name"] = name
    _validate(wanted)

    def mutate(current: dict[str, Any]) -> None:
        current["spec"] = wanted.get("spec") or {}
        for key in ("labels", "annotations"):
            if key in wanted["metadata"]:
                current["metadata"][key] = wanted["metadata"][key]

    return _replace(ctx, name, mutate)


@router.delete("/api/v1/projects/{name}")
def delete_project(name: str, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    ctx.enforce(caller, "projects", "delete", name)
    if name == "default":
        raise APIError(INVALID_ARGUMENT, "name 'default' is reserved and cannot be deleted")
    _get(ctx, name)
    apps = ctx.kube.list_argo(ctx.namespace, APPS).get("items") or []
    using = sorted(str(a["metadata"]["name"]) for a in apps if project_of(a) == name)
    if using:
        raise APIError(
            FAILED_PRECONDITION,
            f"project '{name}' is referenced by {len(using)} applications ({', '.join(using[:10])}): "
            "delete or move them first",
        )
    ctx.kube.delete_argo(ctx.namespace, PROJECTS, name)
    return {}


class ProjectTokenCreate(BaseModel):
    expiresIn: int = 0
    id: str = ""
    description: str = ""


def _role_index(project: dict[str, Any], role: str) -> int:
    roles = (project.get("spec") or {}).get("roles") or []
    for i, r in enumerate(roles):
        if isinstance(r, dict) and r.get("name") == role:
            return i
    name = project["metadata"]["name"]
    raise APIError(NOT_FOUND, f"role '{role}' does not exist in project '{name}': add it to spec.roles first")


@router.post("/api/v1/projects/{project}/roles/{role}/token")
def create_project_token(
    project: str, role: str, body: ProjectTokenCreate, caller: Auth, ctx: Ctx
) -> dict[str, Any]:
    ctx.enforce(caller, "projects", "update", project)
    _role_index(_get(ctx, project), role)
    token_id = body.id or new_token_id()
    now = ctx.sessions.now()
    token = ctx.sessions.create(f"proj:{project}:{role}", body.expiresIn, token_id, now=now)
    entry: dict[str, Any] = {"iat": now, "id": token_id}
    if body.expiresIn > 0:
        entry["exp"] = now + body.expiresIn

    def mutate(current: dict[str, Any]) -> None:
        index = _role_index(current, role)
        role_obj = current["spec"]["roles"][index]
        tokens = role_obj.setdefault("jwtTokens", [])
        if any(t.get("id") == token_id for t in tokens if isinstance(t, dict)):
            raise APIError(
                INVALID_ARGUMENT, f"role '{role}' of project '{project}' already has token '{token_id}'"
            )
        tokens.append(entry)
        by_role = current.setdefault("status", {}).setdefault("jwtTokensByRole", {})
        by_role.setdefault(role, {}).setdefault("items", []).append(dict(entry))

    _replace(ctx, project, mutate)
    return {"token": token}


@router.delete("/api/v1/projects/{project}/roles/{role}/token/{iat}")
def delete_project_token(
    project: str, role: str, iat: int, caller: Auth, ctx: Ctx, id: str = ""
) -> dict[str, Any]:
    """Revoke a project token (by ``id``, or by issue time for tokens without one)."""
    ctx.enforce(caller, "projects", "update", project)
    _role_index(_get(ctx, project), role)

    def keep(token: Any) -> bool:
        if not isinstance(token, dict):
            return True
        return token.get("id") != id if id else token.get("iat") != iat

    def mutate(current: dict[str, Any]) -> None:
        index = _role_index(current, role)
        role_obj = current["spec"]["roles"][index]
        role_obj["jwtTokens"] = [t for t in role_obj.get("jwtTokens") or [] if keep(t)]
        by_role = (current.get("status") or {}).get("jwtTokensByRole") or {}
        if role in by_role:
            by_role[role]["items"] = [t for t in by_role[role].get("items") or [] if keep(t)]

    _replace(ctx, project, mutate)
    return {}
