"""The server's side of SSO: live configuration, the provider, login state and token checks.

The configuration is read from ``argocd-cm`` (and the Secrets it refers to)
on each use, like every other setting, so editing ``oidc.config`` takes effect
without a restart; the provider object (discovery and keys) is kept while the
issuer and ``rootCA`` stay the same.

Between ``/auth/login`` and ``/auth/callback`` the login's state, nonce and
PKCE verifier travel in a short-lived cookie signed with the server's key
(any replica can finish a login another one started). A state is accepted
once: a replayed callback is refused by the replica that saw it, and the
provider refuses a code it already redeemed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt

from argosy.server.auth.oidc.config import OIDCConfig, OIDCConfigError, SecretLookup, parse_oidc_config
from argosy.server.auth.oidc.pkce import LoginRequest, login_scopes
from argosy.server.auth.oidc.provider import Provider, ProviderError
from argosy.server.auth.oidc.refresh import seal, unseal
from argosy.server.auth.oidc.verify import IDTokenError, verify_id_token
from argosy.server.auth.revocation import RevokedTokens
from argosy.server.errors import FAILED_PRECONDITION, INVALID_ARGUMENT, UNAUTHENTICATED, UNAVAILABLE, APIError

STATE_COOKIE = "argocd.oauthstate"
STATE_SECONDS = 300
_STATE_ISSUER = "argocd:oauthstate"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PendingLogin:
    """What the callback needs to finish a login the browser started."""

    request: LoginRequest
    return_to: str


def safe_return_path(value: str) -> str:
    """Only a path on this server (never another host): the callback must not be an open redirect."""
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    return value


def token_fingerprint(token: str) -> str:
    """An id for an ID token (they may have no ``jti``), to revoke it at logout; not reversible."""
    return "sso:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


class SSOService:
    def __init__(
        self,
        argocd_cm: Callable[[], Mapping[str, str]],
        secret_lookup: SecretLookup,
        signing_key: Callable[[], bytes],
    ) -> None:
        self._cm = argocd_cm
        self._lookup = secret_lookup
        self._signing_key = signing_key
        self._lock = threading.Lock()
        self._provider: tuple[tuple[str, str], Provider] | None = None
        self.used_states = RevokedTokens()

    # -- configuration ----------------------------------------------------------------
    def config(self) -> OIDCConfig | None:
        """The live SSO configuration; None when not configured; APIError naming the key when broken."""
        try:
            return parse_oidc_config(self._cm(), self._lookup)
        except OIDCConfigError as err:
            raise APIError(FAILED_PRECONDITION, str(err)) from None

    def required_config(self) -> OIDCConfig:
        config = self.config()
        if config is None:
            raise APIError(
                FAILED_PRECONDITION, "SSO is not configured: set 'oidc.config' in argocd-cm (see docs/sso.md)"
            )
        return config

    def provider(self, config: OIDCConfig) -> Provider:
        key = (config.issuer, config.root_ca)
        with self._lock:
            if self._provider is not None and self._provider[0] == key:
                return self._provider[1]
            old = self._provider[1] if self._provider else None
            provider = Provider(config.issuer, root_ca=config.root_ca)
            self._provider = (key, provider)
        if old is not None:
            old.close()
        return provider

    # -- tokens -------------------------------------------------------------------------
    def verify(
        self, token: str, *, nonce: str | None = None, audiences: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The claims of an ID token issued by the configured provider; APIError(401) naming why not."""
        config = self.config()
        if config is None:
            raise APIError(UNAUTHENTICATED, "invalid session: token is not from this server and SSO is off")
        provider = self.provider(config)
        try:
            return verify_id_token(
                token,
                provider.key_for,
                issuer=config.issuer,
                audiences=audiences or config.audiences,
                nonce=nonce,
            )
        except IDTokenError as err:
            raise APIError(UNAUTHENTICATED, f"invalid session: {err}") from None
        except ProviderError as err:
            raise APIError(UNAVAILABLE, str(err)) from None

    # -- the browser flow ---------------------------------------------------------------
    def start(self, config: OIDCConfig, redirect_uri: str, return_to: str) -> tuple[str, str]:
        """(authorize URL, state cookie value) for a new browser login."""
        try:
            endpoints = self.provider(config).endpoints()
        except ProviderError as err:
            raise APIError(UNAVAILABLE, str(err)) from None
        request = LoginRequest()
        url = request.authorize_url(
            endpoints.authorization,
            client_id=config.client_id,
            redirect_uri=redirect_uri,
            scopes=login_scopes(config.requested_scopes, endpoints.scopes_supported),
            id_token_claims=config.requested_id_token_claims,
        )
        now = int(time.time())
        cookie = jwt.encode(
            {
                "iss": _STATE_ISSUER,
                "iat": now,
                "exp": now + STATE_SECONDS,
                "state": request.state,
                "nonce": request.nonce,
                "verifier": request.verifier,
                "return": safe_return_path(return_to),
            },
            self._signing_key(),
            algorithm="HS256",
        )
        return url, cookie

    def pending(self, cookie: str, state: str) -> PendingLogin:
        """The login a callback finishes; refuses a missing/expired cookie, a wrong or replayed state."""
        if not cookie:
            raise APIError(
                INVALID_ARGUMENT, "no login in progress (state cookie missing): start again at /auth/login"
            )
        try:
            data = jwt.decode(cookie, self._signing_key(), algorithms=["HS256"], issuer=_STATE_ISSUER)
        except jwt.ExpiredSignatureError:
            raise APIError(INVALID_ARGUMENT, "the login took too long: start again at /auth/login") from None
        except jwt.PyJWTError:
            raise APIError(
                INVALID_ARGUMENT, "login state cookie is invalid: start again at /auth/login"
            ) from None
        if not state or state != data.get("state"):
            raise APIError(
                UNAUTHENTICATED, "login refused: the state does not match the login that was started"
            )
        if self.used_states.is_revoked(state):
            raise APIError(
                UNAUTHENTICATED, "login refused: this login state was already used (replayed callback)"
            )
        self.used_states.revoke(state, float(data.get("exp") or 0))
        request = LoginRequest(state=state, nonce=str(data.get("nonce")), verifier=str(data.get("verifier")))
        return PendingLogin(request, safe_return_path(str(data.get("return") or "/")))

    def finish(
        self, config: OIDCConfig, pending: PendingLogin, code: str, redirect_uri: str
    ) -> tuple[str, str]:
        """Redeem the code: the verified ID token (the session) and the sealed refresh token ("" if none)."""
        try:
            tokens = self.provider(config).exchange_code(
                code,
                redirect_uri=redirect_uri,
                client_id=config.client_id,
                client_secret=config.client_secret,
                verifier=pending.request.verifier,
            )
        except ProviderError as err:
            raise APIError(UNAUTHENTICATED, f"login failed: {err}") from None
        self.verify(tokens.id_token, nonce=pending.request.nonce, audiences=(config.client_id,))
        sealed = seal(self._signing_key(), tokens.refresh_token) if tokens.refresh_token else ""
        return tokens.id_token, sealed

    def renew(self, id_token: str, sealed: str) -> tuple[str, str] | None:
        """A browser session's new (ID token, sealed refresh token) when it is due; None otherwise.

        Due means: an ID token of the configured provider expiring within
        ``refreshTokenThreshold``. Any failure leaves the session as it is.
        """
        try:
            config = self.config()
        except APIError:
            return None
        if config is None:
            return None
        try:
            claims = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        exp = claims.get("exp")
        if claims.get("iss") != config.issuer or not isinstance(exp, int | float):
            return None
        if exp - time.time() > config.refresh_threshold_seconds:
            return None
        refresh_token = unseal(self._signing_key(), sealed)
        if not refresh_token:
            return None
        try:
            tokens = self.provider(config).refresh(
                refresh_token, client_id=config.client_id, client_secret=config.client_secret
            )
            self.verify(tokens.id_token, audiences=(config.client_id,))
        except (ProviderError, APIError) as err:
            log.info("SSO session not refreshed: %s", err)
            return None
        return tokens.id_token, seal(self._signing_key(), tokens.refresh_token or refresh_token)
