"""``POST /api/v1/repositories/{repo}/appdetails``: what an application's source offers to set.

Argo CD's ``RepositoryService.GetAppDetails``, for the UI's Parameters tab: a Helm chart's
values files and default values (as ``--set`` parameters) - in Git or downloaded from a Helm
repository - a Kustomize base's images, or ``Directory``. The repo service answers
(:mod:`argosy.repo.appdetails`) with the credentials of the repository Secrets, as for a render.

RBAC: ``applications, get`` on the application named in the request, and the source must be
one of that application's own sources (spec or history) - so ``get`` on one app cannot be used
to read another repository through the server's credentials.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from argosy.appstate.inputs import render_request
from argosy.repo.errors import InvalidSourceError, RepoError, UnreachableError
from argosy.repo.redact import strip_userinfo
from argosy.server.apps import get_authorized_app
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import (
    FAILED_PRECONDITION,
    INVALID_ARGUMENT,
    PERMISSION_DENIED,
    UNAVAILABLE,
    APIError,
)
from argosy.settings.repositories import RepositorySecretError, same_url

router = APIRouter(tags=["RepositoryService"])


class AppDetailsQuery(BaseModel):
    """Argo CD's ``RepoAppDetailsQuery``."""

    source: dict[str, Any] = Field(
        description="the ApplicationSource to inspect (repoURL, path or chart, ...)"
    )
    appName: str = Field(description="the application the source belongs to (its RBAC decides)")
    appProject: str = ""
    appNamespace: str = ""
    sourceIndex: int = 0


def _known_sources(app: dict[str, Any]) -> list[dict[str, Any]]:
    spec, status = app.get("spec") or {}, app.get("status") or {}
    found = list(spec.get("sources") or []) + ([spec["source"]] if spec.get("source") else [])
    for entry in status.get("history") or []:
        found += list(entry.get("sources") or []) + ([entry["source"]] if entry.get("source") else [])
    return [s for s in found if isinstance(s, dict)]


@router.post("/api/v1/repositories/{repo:path}/appdetails")
def get_app_details(repo: str, body: AppDetailsQuery, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    """Type, values files, default parameters and images of one of an application's sources."""
    if not body.appName:
        raise APIError(INVALID_ARGUMENT, "appName: required (the application whose source this is)")
    app = get_authorized_app(ctx, caller, body.appName, "get", body.appNamespace or None)
    url = str(body.source.get("repoURL") or "")
    if not url:
        raise APIError(INVALID_ARGUMENT, "source.repoURL: required")
    if not any(same_url(str(s.get("repoURL") or ""), url) for s in _known_sources(app)):
        raise APIError(
            PERMISSION_DENIED,
            f"permission denied: {url} is not a source of application '{body.appName}'",
        )
    asked = copy.deepcopy(app)
    asked["spec"] = {**(app.get("spec") or {}), "source": body.source}
    asked["spec"].pop("sources", None)
    try:
        req = render_request(ctx, asked, kube_version="", api_versions=[])
        return ctx.renderer.app_details(req)
    except (InvalidSourceError, RepositorySecretError) as exc:
        raise APIError(INVALID_ARGUMENT, f"source: {exc}") from None
    except UnreachableError as exc:
        raise APIError(UNAVAILABLE, str(exc)) from None
    except RepoError as exc:  # named for the repository once (chart errors already name it)
        shown = strip_userinfo(url)
        message = str(exc) if shown in str(exc) else f"{shown}: {exc}"
        raise APIError(FAILED_PRECONDITION, message) from None
