"""FastAPI dependencies: the server context and the authenticated caller.

A token is taken from ``Authorization: Bearer <token>`` or, for browsers, the
``argocd.token`` cookie, as Argo CD accepts both. No token, or one that does
not stand, is a 401 before any route code runs.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from argosy.server.auth.sessions import Caller
from argosy.server.context import ServerContext
from argosy.server.errors import unauthenticated

AUTH_COOKIE = "argocd.token"
#: Who calls a ``--core`` server: the kubeconfig's user, whom Kubernetes RBAC governs.
CORE_CALLER = Caller(claims={"sub": "kubernetes"}, username="kubernetes")


def context(request: Request) -> ServerContext:
    ctx: ServerContext = request.app.state.ctx
    return ctx


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(AUTH_COOKIE, "")


def caller(request: Request) -> Caller:
    token = bearer_token(request)
    if not token:
        raise unauthenticated("no session information: log in (POST /api/v1/session) and send the token")
    ctx = context(request)
    if ctx.config.core:
        if not hmac.compare_digest(token.encode(), ctx.config.core_token.encode()):
            raise unauthenticated("this in-process --core server serves only the CLI that started it")
        return CORE_CALLER
    return ctx.sessions.authenticate(token)


def optional_caller(request: Request) -> Caller | None:
    token = bearer_token(request)
    if not token:
        return None
    try:
        return context(request).sessions.authenticate(token)
    except Exception:
        return None


Ctx = Annotated[ServerContext, Depends(context)]
Auth = Annotated[Caller, Depends(caller)]
MaybeAuth = Annotated[Caller | None, Depends(optional_caller)]
