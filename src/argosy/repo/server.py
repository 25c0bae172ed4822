"""HTTP API of ``argosy repo-server`` (FastAPI, loopback by default).

``POST /api/v1/render`` takes a :class:`RenderRequest` as JSON and returns a
:class:`RenderResult`; a failure is HTTP 422 with ``{"code", "message"}``,
where ``code`` is the typed error's name so the client re-raises the same
class. ``POST /api/v1/revision-metadata`` answers a commit's author, date, tags and
message (Argo CD's ``RevisionMetadata``). ``POST /api/v1/test-repository`` reaches one
repository (``{}`` or the same error shape). ``POST /api/v1/appdetails`` takes a render request
(one source) and returns what that source offers to parameterise
(:mod:`argosy.repo.appdetails`). ``GET /healthz`` answers when the server can serve. The server holds
no cluster credentials: repository credentials arrive with each request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from argosy.repo.errors import RepoError
from argosy.repo.request import RenderRequest
from argosy.repo.service import RepoService
from argosy.settings.repositories import RepositorySecretError, RepositoryStore


def create_app(service: RepoService) -> FastAPI:
    app = FastAPI(title="argosy repo-server", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    async def answer(request: Request, work: Callable[[RenderRequest], Any]) -> JSONResponse:
        try:
            body: Any = await request.json()
        except ValueError:
            return JSONResponse({"code": "InvalidRequest", "message": "body is not JSON"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse(
                {"code": "InvalidRequest", "message": "body must be an object"}, status_code=400
            )
        try:
            req = RenderRequest.from_dict(body)
            result = await run_in_threadpool(work, req)
        except RepoError as exc:
            return JSONResponse({"code": exc.code, "message": str(exc)}, status_code=422)
        except RepositorySecretError as exc:
            return JSONResponse({"code": "InvalidSource", "message": str(exc)}, status_code=422)
        return JSONResponse(result)

    @app.post("/api/v1/render")
    async def render(request: Request) -> JSONResponse:
        return await answer(request, lambda req: service.render(req).to_dict())

    @app.post("/api/v1/appdetails")
    async def appdetails(request: Request) -> JSONResponse:
        return await answer(request, service.app_details)

    @app.post("/api/v1/revision-metadata")
    async def revision_metadata(request: Request) -> JSONResponse:
        """``{"repoURL", "revision", "project", "repositories"}`` -> Argo CD's RevisionMetadata."""
        try:
            body: Any = await request.json()
        except ValueError:
            return JSONResponse({"code": "InvalidRequest", "message": "body is not JSON"}, status_code=400)
        if not isinstance(body, dict) or not body.get("repoURL"):
            return JSONResponse(
                {"code": "InvalidRequest", "message": "body must be an object with repoURL"}, status_code=400
            )
        try:
            store = RepositoryStore.from_dict(body.get("repositories") or {})
            meta = await run_in_threadpool(
                service.revision_metadata,
                str(body["repoURL"]),
                str(body.get("revision") or ""),
                store,
                str(body.get("project") or ""),
            )
        except RepoError as exc:
            return JSONResponse({"code": exc.code, "message": str(exc)}, status_code=422)
        except RepositorySecretError as exc:
            return JSONResponse({"code": "InvalidSource", "message": str(exc)}, status_code=422)
        return JSONResponse(meta.to_dict())

    @app.post("/api/v1/test-repository")
    async def test_repository(request: Request) -> JSONResponse:
        """Argo CD's TestRepository: ``{"repoURL", "project", "repositories"}``; ``{}`` when reachable."""
        try:
            body: Any = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("repoURL"):
            return JSONResponse(
                {"code": "InvalidRequest", "message": "body must be an object with repoURL"}, status_code=400
            )
        try:
            store = RepositoryStore.from_dict(body.get("repositories") or {})
            await run_in_threadpool(
                service.test_repository, str(body["repoURL"]), store, str(body.get("project") or "")
            )
        except RepoError as exc:
            return JSONResponse({"code": exc.code, "message": str(exc)}, status_code=422)
        except (RepositorySecretError, TypeError) as exc:
            return JSONResponse({"code": "InvalidSource", "message": str(exc)}, status_code=422)
        return JSONResponse({})

    @app.get("/api/v1/stats")
    def stats() -> dict[str, int]:
        return {
            "renders": service.renders,
            "cacheHits": service.cache.hits,
            "cacheMisses": service.cache.misses,
            "cacheDiskErrors": service.cache.disk_errors,
            "lsRemoteCalls": service.git.ls_remote_calls,
            "fetchCalls": service.git.fetch_calls,
        }

    return app
