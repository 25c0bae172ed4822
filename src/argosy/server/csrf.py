"""Cross-site request forgery: a browser's cookie alone never changes anything.

The UI logs in with the ``argocd.token`` cookie (HttpOnly, ``SameSite=Lax``,
``Secure`` under TLS). ``SameSite=Lax`` keeps the cookie off requests from
other *sites*, but a page on a sibling host of the same parent domain
(``evil.internal.example.com`` beside ``argosy.internal.example.com``) is the
same site, and its HTML form may POST to the API with the cookie attached —
Argo CD's advisory GHSA-92mw-q256-5vwg. Such a form can only send the
"simple" content types (``text/plain``, ``application/x-www-form-urlencoded``,
``multipart/form-data``) or none; anything else makes the browser ask the
server first (a CORS preflight), which Argosy never grants.

So, as Argo CD does since 2.10, a state-changing request (any method but GET,
HEAD and OPTIONS) under ``/api/`` that carries the session cookie, and a
login sent by a browser, must declare one of the allowed content types
(``server.api.content.types`` in ``argocd-cmd-params-cm``, ``;``-separated,
default ``application/json``; an empty value turns the check off), else it
is answered 415 before any route runs. Requests that carry an
``Authorization`` header are exempt: a browser never adds one by itself, so
they come from the CLI or a script holding the token, and keep the lenient
"any body is JSON" reading of :class:`~argosy.server.app.JsonBodies` (``curl -d``).
Webhooks (``/api/webhook``) are public and keep their providers' content types.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from argosy.server.deps import AUTH_COOKIE

#: The key in ``argocd-cmd-params-cm`` (Argo CD's ``--api-content-types``).
CONTENT_TYPES_PARAM = "server.api.content.types"
DEFAULT_CONTENT_TYPES = ("application/json",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
EXEMPT_PREFIXES = ("/api/webhook",)
LOGIN_PATH = "/api/v1/session"


def parse_content_types(value: str) -> tuple[str, ...]:
    """``"application/json; text/plain"`` -> the lower-cased media types; empty turns the check off."""
    return tuple(t.strip().lower() for t in value.split(";") if t.strip())


def content_types_from_params(params: Mapping[str, str]) -> tuple[str, ...]:
    """The allowed types from ``argocd-cmd-params-cm`` data: the default when the key is absent."""
    if CONTENT_TYPES_PARAM not in params:
        return DEFAULT_CONTENT_TYPES
    return parse_content_types(str(params[CONTENT_TYPES_PARAM]))


def media_type(header: bytes) -> str:
    """``application/json; charset=utf-8`` -> ``application/json``."""
    return header.split(b";")[0].strip().lower().decode("latin-1")


def has_cookie(headers: Mapping[bytes, bytes], name: str) -> bool:
    """Does the ``Cookie`` header carry ``name`` (the session a browser attaches by itself)?"""
    cookies = headers.get(b"cookie", b"").decode("latin-1")
    return any(part.split("=", 1)[0].strip() == name for part in cookies.split(";"))


def from_a_browser(headers: Mapping[bytes, bytes]) -> bool:
    """Did a browser send this? Browsers add ``Origin`` to form POSTs and ``Sec-Fetch-*`` to every
    request (page scripts cannot remove them); command-line clients add neither."""
    return any(name in headers for name in (b"origin", b"sec-fetch-site", b"sec-fetch-mode"))


def refused(method: str, path: str, headers: Mapping[bytes, bytes], allowed: tuple[str, ...]) -> bool:
    """Could this be a forged browser request? (True: answer 415.)

    Only requests that a browser would authenticate on its own count: they carry the
    session cookie and no ``Authorization`` header. A login sent by a browser counts too (a
    forged login would sign the victim's browser in as the attacker); browsers mark every
    request with ``Origin`` (form POSTs) or ``Sec-Fetch-Site``, while ``curl -d`` and scripts
    send neither, so their logins keep the lenient "any body is JSON" reading Argo CD's gateway
    had. A request without any credentials is left to the route, which answers 401.
    """
    if not allowed or method.upper() in SAFE_METHODS:
        return False
    if not path.startswith("/api/") or path.startswith(EXEMPT_PREFIXES):
        return False
    if headers.get(b"authorization", b"").strip():
        return False
    if method.upper() == "POST" and path == LOGIN_PATH:
        # A login is judged by who sends it, not by a cookie it may carry from an earlier login.
        forgeable = from_a_browser(headers)
    else:
        forgeable = has_cookie(headers, AUTH_COOKIE)
    return forgeable and media_type(headers.get(b"content-type", b"")) not in allowed


class BrowserContentTypes:
    """ASGI middleware applying :func:`refused`; outside ``JsonBodies``, which rewrites the header."""

    def __init__(self, app: Any, allowed: tuple[str, ...] = DEFAULT_CONTENT_TYPES) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            headers = {k.lower(): v for k, v in scope["headers"]}
            if refused(scope["method"], scope["path"], headers, self.allowed):
                message = (
                    f"Invalid content type: {scope['method']} {scope['path']} without an Authorization "
                    f"header must be sent as {' or '.join(self.allowed)} (cross-site request forgery "
                    f"protection; see {CONTENT_TYPES_PARAM} in argocd-cmd-params-cm)"
                )
                body = json.dumps({"error": message, "code": 3, "message": message}).encode()
                await send(
                    {
                        "type": "http.response.start",
                        "status": 415,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
