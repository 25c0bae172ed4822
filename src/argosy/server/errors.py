"""API errors shaped like Argo CD's grpc-gateway errors.

Clients written for Argo CD (scripts, the ``argocd`` CLI's REST fallbacks,
dashboards) read ``{"error", "code", "message"}`` where ``code`` is the gRPC
status code, so every failure the server returns has that shape, with a
message that names the object and says what to do.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from argosy.kube.errors import ClusterUnreachable, KubeApiError, KubeError, http_status

# gRPC status codes (google.golang.org/grpc/codes) and the HTTP status grpc-gateway maps them to.
INVALID_ARGUMENT = 3
NOT_FOUND = 5
ALREADY_EXISTS = 6
PERMISSION_DENIED = 7
RESOURCE_EXHAUSTED = 8
FAILED_PRECONDITION = 9
ABORTED = 10
INTERNAL = 13
UNAVAILABLE = 14
UNAUTHENTICATED = 16

_HTTP_STATUS = {
    INVALID_ARGUMENT: 400,
    NOT_FOUND: 404,
    ALREADY_EXISTS: 409,
    PERMISSION_DENIED: 403,
    RESOURCE_EXHAUSTED: 429,
    FAILED_PRECONDITION: 400,
    ABORTED: 409,
    INTERNAL: 500,
    UNAVAILABLE: 503,
    UNAUTHENTICATED: 401,
}

_CODE_OF_HTTP = {
    400: INVALID_ARGUMENT,
    401: UNAUTHENTICATED,
    403: PERMISSION_DENIED,
    404: NOT_FOUND,
    405: INVALID_ARGUMENT,
    409: ALREADY_EXISTS,
    422: INVALID_ARGUMENT,
    429: RESOURCE_EXHAUSTED,
}


class APIError(Exception):
    """A request failure with a gRPC code; ``http_status`` overrides the usual mapping."""

    def __init__(self, code: int, message: str, *, http_status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.http_status = http_status or _HTTP_STATUS.get(code, 500)


def unauthenticated(message: str = "no session information") -> APIError:
    return APIError(UNAUTHENTICATED, message)


def permission_denied(resource: str, action: str, obj: str) -> APIError:
    # Argo CD says "permission denied: <resource>, <action>, <object>"; we add what to do.
    return APIError(
        PERMISSION_DENIED,
        f"permission denied: {resource}, {action}, {obj} "
        "(ask an administrator for a policy in argocd-rbac-cm that allows it)",
    )


def hidden(resource: str, action: str, given: str) -> APIError:
    """403 for an object the caller may not see, worded the same whether it exists or not.

    Argo CD answers ``permission denied`` both for an application of another project and for
    one that does not exist, so names cannot be probed; the message names only what the
    caller sent.
    """
    return APIError(
        PERMISSION_DENIED,
        f"permission denied: {resource}, {action}, {given} (it does not exist, or no policy in "
        "argocd-rbac-cm allows you to see it)",
    )


def namespace_not_permitted(namespace: str, control_plane_namespace: str) -> APIError:
    """403 for Applications asked for in a namespace Argosy does not manage."""
    return APIError(
        PERMISSION_DENIED,
        f"namespace '{namespace}' is not permitted: Applications are served from '{control_plane_namespace}' "
        "and the namespaces listed in application.namespaces of argocd-cmd-params-cm",
    )


def not_found(kind: str, name: str, namespace: str = "") -> APIError:
    where = f" in namespace '{namespace}'" if namespace else ""
    return APIError(NOT_FOUND, f"{kind} '{name}' not found{where}")


def from_kube(exc: KubeError, what: str) -> APIError:
    """The API's error for a failed Kubernetes call about ``what`` (e.g. "application 'web'")."""
    status = http_status(exc)
    message = exc.message if isinstance(exc, KubeApiError) else str(exc)
    if status == 404:
        return APIError(NOT_FOUND, f"{what} not found")
    if status == 409:
        return APIError(ALREADY_EXISTS, f"{what}: {message} (re-read the object and retry)", http_status=409)
    if status in (400, 422):
        return APIError(INVALID_ARGUMENT, f"{what}: {message}")
    if isinstance(exc, ClusterUnreachable):
        return APIError(UNAVAILABLE, f"{what}: {exc}")
    return APIError(INTERNAL, f"{what}: Kubernetes API error {status}: {message}")


def body(code: int, message: str) -> dict[str, Any]:
    return {"error": message, "code": code, "message": message}


def install_handlers(app: FastAPI) -> None:
    """Render every error, including FastAPI's own 404/405/422, in the grpc-gateway shape."""

    @app.exception_handler(APIError)
    async def _api_error(_: Request, exc: APIError) -> JSONResponse:
        return JSONResponse(body(exc.code, exc.message), status_code=exc.http_status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _CODE_OF_HTTP.get(exc.status_code, INTERNAL)
        return JSONResponse(body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in exc.errors()
        )
        return JSONResponse(body(INVALID_ARGUMENT, f"invalid request: {problems}"), status_code=400)
