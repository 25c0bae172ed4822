"""Keeping a browser's SSO session alive: refresh the ID token before it expires.

At the callback the provider's refresh token is kept in a second cookie,
``argocd.refreshtoken``, HttpOnly and sealed (Fernet: AES-128-CBC + HMAC)
with a key derived from ``server.secretkey``, so it is useless outside this
installation. When a browser request carries an ID token that expires within
``refreshTokenThreshold`` (5 minutes by default), :class:`SessionRefresh`
redeems the refresh token at the provider, serves the request with the new
ID token and sets both cookies again. A refresh that fails changes nothing:
the old session goes on until it expires, then the user logs in again.
Bearer-token callers (the CLI) refresh on their own side.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any

import anyio.to_thread
from cryptography.fernet import Fernet, InvalidToken
from starlette.responses import Response

REFRESH_COOKIE = "argocd.refreshtoken"
TOKEN_COOKIE = "argocd.token"
log = logging.getLogger(__name__)

#: ``renew(id_token, sealed_refresh_token)``: new (id token, sealed refresh token), or None.
Renew = Callable[[str, str], tuple[str, str] | None]


def _fernet(server_key: bytes) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"argosy sso refresh:" + server_key).digest()))


def seal(server_key: bytes, refresh_token: str) -> str:
    return _fernet(server_key).encrypt(refresh_token.encode("utf-8")).decode("ascii")


def unseal(server_key: bytes, sealed: str) -> str | None:
    """The refresh token, or None when the cookie was not sealed by this installation."""
    try:
        return _fernet(server_key).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None


def session_cookies(id_token: str, sealed: str, *, secure: bool) -> list[tuple[bytes, bytes]]:
    """``Set-Cookie`` headers for both cookies, with the same attributes the login sets."""
    response = Response()
    response.set_cookie(TOKEN_COOKIE, id_token, httponly=True, samesite="lax", secure=secure, path="/")
    if sealed:
        response.set_cookie(REFRESH_COOKIE, sealed, httponly=True, samesite="lax", secure=secure, path="/")
    return [(k, v) for k, v in response.raw_headers if k == b"set-cookie"]


class SessionRefresh:
    """ASGI middleware: renews a browser's SSO session cookie that is about to expire."""

    def __init__(self, app: Any, renew: Renew, secure: Callable[[], bool]) -> None:
        self.app = app
        self.renew = renew
        self.secure = secure

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        cookie_header = headers.get(b"cookie", b"").decode("latin-1")
        if b"authorization" in headers or REFRESH_COOKIE not in cookie_header:
            await self.app(scope, receive, send)
            return
        jar: SimpleCookie = SimpleCookie()
        jar.load(cookie_header)
        token = jar[TOKEN_COOKIE].value if TOKEN_COOKIE in jar else ""
        sealed = jar[REFRESH_COOKIE].value if REFRESH_COOKIE in jar else ""
        renewed = await anyio.to_thread.run_sync(self.renew, token, sealed) if token and sealed else None
        if renewed is None:
            await self.app(scope, receive, send)
            return
        new_token, new_sealed = renewed
        rest = [f"{k}={m.value}" for k, m in jar.items() if k not in (TOKEN_COOKIE, REFRESH_COOKIE)]
        cookie = "; ".join([*rest, f"{TOKEN_COOKIE}={new_token}", f"{REFRESH_COOKIE}={new_sealed}"])
        scope = {
            **scope,
            "headers": [(k, v) for k, v in scope["headers"] if k != b"cookie"]
            + [(b"cookie", cookie.encode())],
        }
        set_cookies = session_cookies(new_token, new_sealed, secure=self.secure())

        async def send_with_cookies(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *set_cookies]}
            await send(message)

        await self.app(scope, receive, send_with_cookies)
