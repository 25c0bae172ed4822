"""Talking to the OpenID provider: discovery document, signing keys and the token endpoint.

The discovery document (``<issuer>/.well-known/openid-configuration``) and the
key set it points to are fetched once and cached; a token whose ``kid`` is not
in the cached set makes the keys be fetched again (the provider rotated them),
at most once per :data:`KEY_REFETCH_INTERVAL` so tokens with made-up ``kid``s
cannot make Argosy hammer the provider. The discovery document must name the
configured issuer exactly, as go-oidc requires.

The HTTP client is ``httpx`` (already Argosy's), trusting ``rootCA`` from
``oidc.config`` when given. Token verification uses PyJWT with its
``cryptography`` backend (already dependencies: ``pyjwt`` signs Argosy's own
session tokens), so SSO adds no new dependency.
"""

from __future__ import annotations

import base64
import ssl
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus

import httpx
import jwt

from argosy.server.auth.oidc.verify import key_from_jwk

KEY_REFETCH_INTERVAL = 10.0
HTTP_TIMEOUT = 15.0


class ProviderError(RuntimeError):
    """The provider could not be reached or answered something unusable; the message says which URL."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    jwks: str
    end_session: str = ""
    userinfo: str = ""
    scopes_supported: tuple[str, ...] = ()


@dataclass(frozen=True)
class TokenResponse:
    id_token: str
    refresh_token: str = ""
    access_token: str = ""
    expires_in: int = 0


def http_client(root_ca: str = "", timeout: float = HTTP_TIMEOUT, *, insecure: bool = False) -> httpx.Client:
    """``insecure`` (the CLI's ``--insecure``) skips certificate checks, as ``argocd login --sso`` does."""
    verify: ssl.SSLContext | bool = not insecure
    if root_ca.strip() and not insecure:
        verify = ssl.create_default_context(cadata=root_ca)
    return httpx.Client(timeout=timeout, verify=verify)


class Provider:
    """One issuer's endpoints and keys, cached; safe to share between threads."""

    def __init__(
        self, issuer: str, *, root_ca: str = "", client: httpx.Client | None = None, insecure: bool = False
    ) -> None:
        self.issuer = issuer
        self._client = client or http_client(root_ca, insecure=insecure)
        self._lock = threading.Lock()
        self._endpoints: Endpoints | None = None
        self._keys: dict[str, dict[str, Any]] = {}
        self._keys_fetched = 0.0

    def close(self) -> None:
        self._client.close()

    def _get_json(self, url: str) -> dict[str, Any]:
        try:
            resp = self._client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as err:
            raise ProviderError(f"cannot reach the OpenID provider at {url}: {err}") from None
        if resp.status_code != 200:
            raise ProviderError(f"OpenID provider answered {resp.status_code} for {url}")
        try:
            doc = resp.json()
        except ValueError:
            raise ProviderError(f"OpenID provider sent no JSON from {url}") from None
        if not isinstance(doc, dict):
            raise ProviderError(f"OpenID provider sent no JSON object from {url}")
        return doc

    def endpoints(self) -> Endpoints:
        with self._lock:
            if self._endpoints is not None:
                return self._endpoints
        url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        doc = self._get_json(url)
        if doc.get("issuer") != self.issuer:
            raise ProviderError(
                f"{url} names issuer {doc.get('issuer')!r}, not the configured {self.issuer!r}: "
                "set oidc.config issuer to exactly what the provider announces"
            )
        try:
            found = Endpoints(
                authorization=str(doc["authorization_endpoint"]),
                token=str(doc["token_endpoint"]),
                jwks=str(doc["jwks_uri"]),
                end_session=str(doc.get("end_session_endpoint") or ""),
                userinfo=str(doc.get("userinfo_endpoint") or ""),
                scopes_supported=tuple(str(x) for x in doc.get("scopes_supported") or []),
            )
        except KeyError as err:
            raise ProviderError(f"{url} lacks {err.args[0]!r}") from None
        with self._lock:
            self._endpoints = found
        return found

    def _fetch_keys(self) -> None:
        doc = self._get_json(self.endpoints().jwks)
        keys = {str(k.get("kid") or ""): k for k in doc.get("keys") or [] if isinstance(k, dict)}
        with self._lock:
            self._keys = keys
            self._keys_fetched = time.monotonic()

    def key_for(self, kid: str, alg: str) -> jwt.PyJWK | None:
        """The provider's key ``kid`` for algorithm ``alg``; re-reads the key set once on a miss."""
        with self._lock:
            data = self._keys.get(kid)
            stale = time.monotonic() - self._keys_fetched >= KEY_REFETCH_INTERVAL
        if data is None and stale:
            self._fetch_keys()
            with self._lock:
                data = self._keys.get(kid)
        if data is None:
            return None
        return key_from_jwk(data, alg)

    def _token_request(self, form: dict[str, str], client_id: str, client_secret: str) -> TokenResponse:
        url = self.endpoints().token
        headers = {"Accept": "application/json"}
        if client_secret:  # client_secret_basic (RFC 6749 2.3.1: each part form-encoded first)
            pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
        else:  # a public client (the CLI with PKCE) names itself in the form
            form = {**form, "client_id": client_id}
        try:
            resp = self._client.post(url, data=form, headers=headers)
        except httpx.HTTPError as err:
            raise ProviderError(f"cannot reach the OpenID provider's token endpoint {url}: {err}") from None
        try:
            doc = resp.json()
        except ValueError:
            doc = {}
        if resp.status_code != 200:
            detail = doc.get("error_description") or doc.get("error") or resp.reason_phrase
            raise ProviderError(
                f"the OpenID provider refused the token request ({resp.status_code}): {detail}"
            )
        id_token = doc.get("id_token")
        if not isinstance(id_token, str) or not id_token:
            raise ProviderError(
                "the OpenID provider's token response has no id_token: is 'openid' requested?"
            )
        return TokenResponse(
            id_token=id_token,
            refresh_token=str(doc.get("refresh_token") or ""),
            access_token=str(doc.get("access_token") or ""),
            expires_in=int(doc.get("expires_in") or 0),
        )

    def exchange_code(
        self, code: str, *, redirect_uri: str, client_id: str, client_secret: str = "", verifier: str = ""
    ) -> TokenResponse:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if verifier:
            form["code_verifier"] = verifier
        return self._token_request(form, client_id, client_secret)

    def refresh(self, refresh_token: str, *, client_id: str, client_secret: str = "") -> TokenResponse:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        return self._token_request(form, client_id, client_secret)
