"""Authorising an authenticated caller: token claims in, allow/deny (or a filtered list) out.

This is what every API route calls. The caller is described by its token
claims: ``sub`` (the account, or ``proj:<project>:<role>`` for a project
token) and group claims named by ``argocd-rbac-cm`` ``scopes``. For requests
about a project (its applications, or the project itself) the project's role
policies join the policy; a project token is honoured only for its own
project and only while the token is still listed in the AppProject.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from argosy.server.rbac.config import DEFAULT_SCOPES
from argosy.server.rbac.enforcer import Enforcer
from argosy.server.rbac.projects import (
    parse_project_subject,
    project_from_request,
    project_policy,
    project_token_exists,
)

T = TypeVar("T")

#: Looks up an AppProject (as a dict) by name; None when it does not exist.
ProjectLookup = Callable[[str], Mapping[str, Any] | None]


def claim_subject(claims: Mapping[str, Any]) -> str:
    """The RBAC subject of a token: ``sub`` without a ``:login``/``:apiKey`` capability suffix."""
    sub = claims.get("sub")
    if not isinstance(sub, str):
        return ""
    if parse_project_subject(sub) is None:
        for suffix in (":login", ":apiKey"):
            if sub.endswith(suffix):
                return sub[: -len(suffix)]
    return sub


def claim_groups(claims: Mapping[str, Any], scopes: Sequence[str] = DEFAULT_SCOPES) -> list[str]:
    """Group names from the claims named by ``scopes`` (a claim may be a string or a list of strings)."""
    out: list[str] = []
    for scope in scopes:
        value = claims.get(scope)
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, str))
    return out


def enforce_claims(
    enforcer: Enforcer,
    claims: Mapping[str, Any],
    resource: str,
    action: str,
    obj: str,
    *,
    scopes: Sequence[str] = DEFAULT_SCOPES,
    get_project: ProjectLookup | None = None,
) -> bool:
    """May the caller with these claims do ``action`` on ``resource`` ``obj``?"""
    subject = claim_subject(claims)
    runtime_policy = ""
    project_name = project_from_request(resource, obj)
    project = get_project(project_name) if (get_project and project_name) else None
    if project is not None:
        project_role = parse_project_subject(subject)
        if project_role is not None:
            return _enforce_project_token(enforcer, claims, project, project_role, resource, action, obj)
        runtime_policy = project_policy(project)
    return enforcer.enforce_subjects(
        subject, claim_groups(claims, scopes), resource, action, obj, runtime_policy
    )


def _enforce_project_token(
    enforcer: Enforcer,
    claims: Mapping[str, Any],
    project: Mapping[str, Any],
    project_role: tuple[str, str],
    resource: str,
    action: str,
    obj: str,
) -> bool:
    proj_name, role = project_role
    if proj_name != str((project.get("metadata") or {}).get("name") or ""):
        return False
    jti = claims.get("jti")
    iat = claims.get("iat")
    token_id = jti if isinstance(jti, str) else ""
    issued_at = int(iat) if isinstance(iat, int | float) and not isinstance(iat, bool) else None
    if not token_id and issued_at is None:
        return False
    if not project_token_exists(project, role, token_id, issued_at):
        return False
    subject = f"proj:{proj_name}:{role}"
    return enforcer.enforce(subject, resource, action, obj, project_policy(project))


def filter_allowed(
    enforcer: Enforcer,
    claims: Mapping[str, Any],
    resource: str,
    action: str,
    items: Iterable[T],
    object_of: Callable[[T], str],
    *,
    scopes: Sequence[str] = DEFAULT_SCOPES,
    get_project: ProjectLookup | None = None,
) -> list[T]:
    """The items the caller may ``action`` (usually ``get``), in their original order, for list routes."""
    projects: dict[str, Mapping[str, Any] | None] = {}

    def cached_project(name: str) -> Mapping[str, Any] | None:
        if name not in projects:
            projects[name] = get_project(name) if get_project else None
        return projects[name]

    return [
        item
        for item in items
        if enforce_claims(
            enforcer,
            claims,
            resource,
            action,
            object_of(item),
            scopes=scopes,
            get_project=cached_project if get_project else None,
        )
    ]
