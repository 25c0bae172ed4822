"""The parts of an authorization-code request that protect it: PKCE, state and nonce.

``state`` ties the callback to the login that started it (no forged callbacks),
``nonce`` ties the ID token to it (no replayed tokens), and the PKCE verifier
proves that whoever redeems the code started the login (RFC 7636, S256).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def code_challenge(verifier: str) -> str:
    """S256 challenge of a PKCE verifier."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def login_scopes(requested: Sequence[str], supported: Sequence[str]) -> list[str]:
    """The requested scopes, plus ``offline_access`` (for a refresh token) when the provider offers it."""
    scopes = list(requested)
    if "offline_access" in supported and "offline_access" not in scopes:
        scopes.append("offline_access")
    return scopes


@dataclass(frozen=True)
class LoginRequest:
    """One login attempt's secrets; kept by whoever waits for the callback."""

    state: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    nonce: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48), repr=False)

    def authorize_url(
        self,
        endpoint: str,
        *,
        client_id: str,
        redirect_uri: str,
        scopes: Sequence[str],
        pkce: bool = True,
        id_token_claims: Mapping[str, Any] | None = None,
    ) -> str:
        params: dict[str, str] = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": self.state,
            "nonce": self.nonce,
        }
        if pkce:
            params["code_challenge"] = code_challenge(self.verifier)
            params["code_challenge_method"] = "S256"
        if id_token_claims:
            import json

            params["claims"] = json.dumps({"id_token": dict(id_token_claims)}, separators=(",", ":"))
        sep = "&" if "?" in endpoint else "?"
        return f"{endpoint}{sep}{urlencode(params)}"
