"""``/api/v1/session``: log in with a local account, log out, and who am I."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel

from argosy.logs import fields
from argosy.server.auth.oidc.refresh import REFRESH_COOKIE
from argosy.server.deps import AUTH_COOKIE, Auth, Ctx, MaybeAuth
from argosy.server.errors import APIError
from argosy.server.rbac import claim_groups

router = APIRouter(tags=["SessionService"])
log = logging.getLogger(__name__)


class SessionCreate(BaseModel):
    username: str = ""
    password: str = ""


@router.post("/api/v1/session")
def create_session(body: SessionCreate, ctx: Ctx, response: Response) -> dict[str, Any]:
    """Log in; the token is returned and also set as the ``argocd.token`` cookie for browsers."""
    try:
        token = ctx.sessions.login(body.username, body.password)
    except APIError as err:
        log.info(f"login failed: {err.message}", extra=fields(user=body.username[:64]))
        raise
    log.info("login succeeded", extra=fields(user=body.username))
    response.set_cookie(AUTH_COOKIE, token, httponly=True, samesite="lax", secure=not ctx.insecure, path="/")
    return {"token": token}


@router.delete("/api/v1/session")
def delete_session(caller: Auth, ctx: Ctx, response: Response) -> dict[str, Any]:
    """Log out: the session's id is revoked so the token stops working, and the cookies are cleared.

    An SSO session's sealed refresh token goes too: the UI logs out here whatever the login was.
    """
    ctx.sessions.revoke(caller)
    response.delete_cookie(AUTH_COOKIE, path="/")
    response.delete_cookie(REFRESH_COOKIE, path="/")
    return {}


@router.get("/api/v1/session/userinfo")
def user_info(caller: MaybeAuth, ctx: Ctx) -> dict[str, Any]:
    """Public, as in Argo CD: ``loggedIn: false`` without a valid token.

    ``groups`` are what RBAC matches ``g,`` lines against: the claims named by
    ``argocd-rbac-cm`` ``scopes`` (``groups`` by default).
    """
    if caller is None:
        return {"loggedIn": False}
    scopes = ctx.settings.rbac()[0].scopes if caller.sso else ("groups",)
    return {
        "loggedIn": True,
        "username": caller.username,
        "iss": caller.claims.get("iss", ""),
        "groups": claim_groups(caller.claims, scopes),
    }
