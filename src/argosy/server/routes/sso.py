"""``/auth/login``, ``/auth/callback`` and ``/auth/logout``: the browser's SSO flow.

``/auth/login?return_url=/applications`` sends the browser to the provider;
the provider sends it back to ``/auth/callback``, which checks the state,
redeems the code (PKCE), verifies the ID token and sets it as the
``argocd.token`` cookie (and the sealed refresh token beside it, see
:mod:`argosy.server.auth.oidc.refresh`), then returns to ``return_url`` (a path on this
server only). ``/auth/logout`` revokes the session, clears the cookie and
goes to ``oidc.config`` ``logoutURL`` when set (``{{token}}`` and
``{{logoutRedirectURL}}`` filled in, as Argo CD), else to the login page.
Under ``--rootpath`` the browser sees these routes under the prefix, so the
state cookie's path and the default pages carry it too (else the browser
would never send the cookie back to the callback).
"""

from __future__ import annotations

import contextlib
import logging
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from argosy.logs import fields
from argosy.server.auth.oidc.config import KEY_URL, callback_url
from argosy.server.auth.oidc.refresh import REFRESH_COOKIE, session_cookies
from argosy.server.auth.oidc.service import STATE_COOKIE, STATE_SECONDS
from argosy.server.deps import AUTH_COOKIE, Ctx, bearer_token
from argosy.server.errors import UNAUTHENTICATED, APIError

router = APIRouter(tags=["SSO"])
log = logging.getLogger(__name__)


def _root(request: Request) -> str:
    """The ``--rootpath`` prefix the browser sees (``""`` or ``/argosy``)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


@router.get("/auth/login")
def sso_login(request: Request, ctx: Ctx, return_url: str = "") -> RedirectResponse:
    config = ctx.sso.required_config()
    return_to = return_url or _root(request) + "/"
    url, cookie = ctx.sso.start(config, callback_url(ctx.settings.argocd_cm()), return_to)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        STATE_COOKIE,
        cookie,
        max_age=STATE_SECONDS,
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back to us
        secure=not ctx.insecure,
        path=_root(request) + "/auth/callback",
    )
    return response


@router.get("/auth/callback")
def sso_callback(
    request: Request, ctx: Ctx, code: str = "", state: str = "", error: str = "", error_description: str = ""
) -> RedirectResponse:
    if error:
        log.info("SSO login refused by the provider", extra=fields(reason=error))
        raise APIError(
            UNAUTHENTICATED, f"the identity provider refused the login: {error_description or error}"
        )
    config = ctx.sso.required_config()
    pending = ctx.sso.pending(request.cookies.get(STATE_COOKIE, ""), state)
    if not code:
        raise APIError(UNAUTHENTICATED, "login refused: the provider sent no authorization code")
    token, sealed = ctx.sso.finish(config, pending, code, callback_url(ctx.settings.argocd_cm()))
    caller = ctx.sessions.authenticate(token)
    log.info("SSO login succeeded", extra=fields(user=caller.username))
    response = RedirectResponse(pending.return_to, status_code=303)
    for name, value in session_cookies(token, sealed, secure=not ctx.insecure):
        response.raw_headers.append((name, value))
    response.delete_cookie(STATE_COOKIE, path=_root(request) + "/auth/callback")
    return response


@router.get("/auth/logout")
def sso_logout(request: Request, ctx: Ctx) -> RedirectResponse:
    token = bearer_token(request)
    target = _root(request) + "/login"
    if token:
        with contextlib.suppress(APIError):  # an expired or revoked session is logged out all the same
            ctx.sessions.revoke(ctx.sessions.authenticate(token))
    config = ctx.sso.config()
    if config is not None and config.logout_url:
        base = ctx.settings.argocd_cm().get(KEY_URL, "").rstrip("/") or "/"
        target = config.logout_url.replace("{{token}}", quote(token, safe="")).replace(
            "{{logoutRedirectURL}}", quote(base, safe="")
        )
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(AUTH_COOKIE, path="/")
    response.delete_cookie(REFRESH_COOKIE, path="/")
    return response
