"""``/api/v1/applications/{name}/revisions/{revision}/metadata``: a commit's author, date, message.

As Argo CD's ``RevisionMetadata``: the caller needs ``applications, get`` on the
app; the source is the app's (``sourceIndex`` for a multi-source app) or, with
``versionId``, the one recorded in that history entry, so a rollback target
shows the commit it deployed. The repo service reads the commit from its
working copy (:meth:`argosy.repo.service.RepoService.revision_metadata`), in
process or on ``--repo-server``. A Helm chart version is not a commit: such a
source is refused with a message saying so (Argo CD answers chart details on
another route).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Path

from argosy.appstate.inputs import repository_store
from argosy.repo.errors import (
    AuthenticationError,
    CommandTimeoutError,
    RepoError,
    RevisionNotFoundError,
    UnreachableError,
)
from argosy.server.apps import get_authorized_app, project_of
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import FAILED_PRECONDITION, INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE, APIError
from argosy.settings.repositories import RepositorySecretError

router = APIRouter(tags=["ApplicationService"])


def pick_source(app: Mapping[str, Any], source_index: int | None, version_id: int | None) -> dict[str, Any]:
    """The source the request means: the app's own, or history entry ``version_id``'s; APIError
    (400) naming what is out of range."""
    name = (app.get("metadata") or {}).get("name")
    holder: Mapping[str, Any] = app.get("spec") or {}
    where = "spec"
    if version_id is not None:
        history = (app.get("status") or {}).get("history") or []
        entry = next((h for h in history if isinstance(h, dict) and h.get("id") == version_id), None)
        if entry is None:
            raise APIError(
                INVALID_ARGUMENT,
                f"versionId {version_id}: application '{name}' has no history entry with that id",
            )
        holder, where = entry, f"status.history[id={version_id}]"
    sources = holder.get("sources") or ([holder["source"]] if holder.get("source") else [])
    index = source_index or 0
    if not 0 <= index < len(sources) or not isinstance(sources[index], dict):
        raise APIError(
            INVALID_ARGUMENT,
            f"sourceIndex {index}: {where} of application '{name}' has {len(sources)} source(s) "
            "(indexes count from 0)",
        )
    return dict(sources[index])


@router.get("/api/v1/applications/{name}/revisions/{revision}/metadata")
def revision_metadata(
    name: str,
    revision: Annotated[str, Path(description="commit SHA, branch or tag")],
    caller: Auth,
    ctx: Ctx,
    appNamespace: str = "",
    sourceIndex: int | None = None,
    versionId: int | None = None,
) -> dict[str, Any]:
    """Author, date, tags, message and signatureInfo of ``revision`` in the app's Git source."""
    app = get_authorized_app(ctx, caller, name, "get", appNamespace)
    source = pick_source(app, sourceIndex, versionId)
    repo_url = str(source.get("repoURL") or "")
    if source.get("chart"):
        raise APIError(
            INVALID_ARGUMENT,
            f"application '{name}': the source is Helm chart '{source['chart']}' from {repo_url}; "
            f"'{revision}' is a chart version, which has no commit metadata (author, message)",
        )
    try:
        meta = ctx.revisions.revision_metadata(repo_url, revision, repository_store(ctx), project_of(app))
    except RevisionNotFoundError as exc:
        raise APIError(NOT_FOUND, f"revision '{revision}' of application '{name}': {exc}") from None
    except (UnreachableError, AuthenticationError, CommandTimeoutError) as exc:
        raise APIError(UNAVAILABLE, f"repository {repo_url} of application '{name}': {exc}") from None
    except (RepoError, RepositorySecretError) as exc:
        raise APIError(FAILED_PRECONDITION, f"repository {repo_url} of application '{name}': {exc}") from None
    return meta.to_dict()
