"""``argosy login --sso``: the authorization-code flow with PKCE and a loopback callback, as ``argocd``.

The CLI asks the server for its SSO settings (``/api/v1/settings``
``oidcConfig``), listens on ``http://localhost:<--sso-port>/auth/callback``,
and opens (or prints) the provider's authorize URL for the CLI's client
(``cliClientID``, else ``clientID``). When the browser comes back, the state
is checked, the code redeemed with the PKCE verifier, and the ID token
verified (issuer, audience, nonce, the provider's key) before it is stored,
with the refresh token, in the client config (mode 0600). Later commands
refresh the ID token with the refresh token when it is about to expire
(``refreshTokenThreshold``, 5 minutes by default).

The provider libraries (httpx, PyJWT) are imported only here, when a login or
a refresh happens, so ordinary commands do not pay for them at start-up.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from argosy.cli.commands.backend import CliError

DEFAULT_SSO_PORT = 8085
LOGIN_TIMEOUT_SECONDS = 300.0
_DEFAULT_THRESHOLD_SECONDS = 300
_DONE_PAGE = (
    b"<html><body><h3>Authentication successful!</h3><p>You may now close this window.</p></body></html>"
)


@dataclass(frozen=True)
class SSOTokens:
    id_token: str
    refresh_token: str
    claims: dict[str, Any]


def _oidc_settings(settings: dict[str, Any], server: str) -> dict[str, Any]:
    oidc = settings.get("oidcConfig")
    if not isinstance(oidc, dict) or not oidc.get("issuer"):
        raise CliError(
            f"{server} has no SSO configured: set 'oidc.config' in argocd-cm (see docs/sso.md), "
            "or log in with --username"
        )
    return oidc


class _Callback:
    """The loopback listener: answers one ``/auth/callback`` and hands its query to the waiting CLI."""

    def __init__(self, port: int) -> None:
        from http.server import BaseHTTPRequestHandler, HTTPServer  # only when logging in

        self.query: dict[str, str] | None = None
        self.done = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/auth/callback":
                    self.send_error(404)
                    return
                outer.query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                ok = "code" in outer.query and "error" not in outer.query
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(_DONE_PAGE if ok else b"Login failed: see the terminal.")
                outer.done.set()

            def log_message(self, format: str, *args: Any) -> None:
                return  # the query holds the code: never print it

        try:
            self.server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise CliError(
                f"cannot listen on localhost:{port} for the SSO callback ({exc.strerror}): "
                "choose another --sso-port"
            ) from None
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait(self, timeout: float) -> dict[str, str]:
        try:
            if not self.done.wait(timeout):
                raise CliError(f"no SSO callback within {int(timeout)}s: run 'argosy login --sso' again")
            return dict(self.query or {})
        finally:
            self.server.shutdown()
            self.server.server_close()


def login(
    settings: dict[str, Any],
    server: str,
    *,
    port: int = DEFAULT_SSO_PORT,
    launch_browser: bool = True,
    insecure: bool = False,
    echo: Any = print,
    timeout: float = LOGIN_TIMEOUT_SECONDS,
) -> SSOTokens:
    """Run the flow against the provider ``settings`` (``/api/v1/settings``) names; the verified tokens."""
    from argosy.server.auth.oidc.pkce import LoginRequest, login_scopes
    from argosy.server.auth.oidc.provider import Provider, ProviderError
    from argosy.server.auth.oidc.verify import IDTokenError, verify_id_token

    oidc = _oidc_settings(settings, server)
    client_id = str(oidc.get("cliClientID") or oidc.get("clientID") or "")
    provider = Provider(str(oidc["issuer"]), insecure=insecure)
    try:
        endpoints = provider.endpoints()
        requested = [str(s) for s in oidc.get("scopes") or ["openid", "profile", "email", "groups"]]
        scopes = login_scopes(requested, endpoints.scopes_supported)
        request = LoginRequest()
        redirect_uri = f"http://localhost:{port}/auth/callback"
        url = request.authorize_url(
            endpoints.authorization,
            client_id=client_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            id_token_claims=oidc.get("idTokenClaims") or None,
        )
        callback = _Callback(port)
        echo(f"Performing authorization_code flow login: {url}")
        if launch_browser:
            import webbrowser

            echo("Opening system default browser for authentication")
            webbrowser.open(url)
        query = callback.wait(timeout)
        if "error" in query:
            raise CliError(
                f"the identity provider refused the login: {query.get('error_description') or query['error']}"
            )
        if query.get("state") != request.state:
            raise CliError(
                "SSO login refused: the callback's state does not match this login (possible CSRF)"
            )
        tokens = provider.exchange_code(
            query.get("code", ""), redirect_uri=redirect_uri, client_id=client_id, verifier=request.verifier
        )
        claims = verify_id_token(
            tokens.id_token,
            provider.key_for,
            issuer=provider.issuer,
            audiences=[client_id],
            nonce=request.nonce,
        )
    except (ProviderError, IDTokenError) as exc:
        raise CliError(f"SSO login failed: {exc}") from None
    finally:
        provider.close()
    return SSOTokens(tokens.id_token, tokens.refresh_token, claims)


def unverified_claims(token: str) -> dict[str, Any]:
    """A JWT's payload without checking it (the server checks): to see ``iss`` and ``exp`` cheaply."""
    try:
        payload = token.split(".")[1]
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def needs_refresh(
    token: str, refresh_token: str, now: float | None = None, threshold: int | None = None
) -> bool:
    """An SSO ID token (not one of Argosy's own) that expires within the threshold, and a way to renew it."""
    if not token or not refresh_token:
        return False
    claims = unverified_claims(token)
    exp = claims.get("exp")
    if claims.get("iss") in (None, "argocd") or not isinstance(exp, int | float):
        return False
    limit = _DEFAULT_THRESHOLD_SECONDS if threshold is None else threshold
    return float(exp) - (time.time() if now is None else now) <= limit


def refresh(
    settings: dict[str, Any], server: str, refresh_token: str, *, insecure: bool = False
) -> SSOTokens:
    """New tokens from the provider's token endpoint (``grant_type=refresh_token``), verified."""
    from argosy.server.auth.oidc.provider import Provider, ProviderError
    from argosy.server.auth.oidc.verify import IDTokenError, verify_id_token

    oidc = _oidc_settings(settings, server)
    client_id = str(oidc.get("cliClientID") or oidc.get("clientID") or "")
    provider = Provider(str(oidc["issuer"]), insecure=insecure)
    try:
        tokens = provider.refresh(refresh_token, client_id=client_id)
        claims = verify_id_token(
            tokens.id_token, provider.key_for, issuer=provider.issuer, audiences=[client_id]
        )
    except (ProviderError, IDTokenError) as exc:
        raise CliError(
            f"the SSO session could not be refreshed ({exc}): run 'argosy login --sso' again"
        ) from None
    finally:
        provider.close()
    return SSOTokens(tokens.id_token, tokens.refresh_token or refresh_token, claims)


def threshold_of(settings: dict[str, Any]) -> int:
    oidc = settings.get("oidcConfig") or {}
    text = str(oidc.get("refreshTokenThreshold") or "").removesuffix("s")
    return int(text) if text.isdigit() else _DEFAULT_THRESHOLD_SECONDS
