"""Checking an ID token: signature by a key of the provider, issuer, audience, expiry, nonce.

Only asymmetric algorithms are accepted (a token with ``alg: none`` or an
HMAC algorithm, which anyone knowing a client secret could forge, is refused
before anything else), and the algorithm must fit the key the ``kid`` names:
the key decides, not the token. Expiry and not-before allow
:data:`CLOCK_SKEW_SECONDS` of clock difference, as go-oidc's verifier does
for ``iat``. Messages say what was wrong and never contain the token.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jwt

#: Signature algorithms an ID token may use: asymmetric only (never ``none`` nor ``HS*``).
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
#: Clock difference tolerated between Argosy and the provider (seconds).
CLOCK_SKEW_SECONDS = 30

#: ``key_for(kid, alg)``: the provider's key for a token header, None when the provider has none.
KeyLookup = Callable[[str, str], "jwt.PyJWK | None"]


class IDTokenError(ValueError):
    """The ID token cannot be trusted; the message says why (never echoes the token)."""


def key_from_jwk(data: Mapping[str, Any], alg: str) -> jwt.PyJWK:
    """The provider's JWK as a key for ``alg``; refused when the key is for another algorithm or type."""
    kid = data.get("kid")
    declared = data.get("alg")
    if declared and declared != alg:
        raise IDTokenError(f"token says algorithm {alg!r} but the provider's key {kid!r} is for {declared!r}")
    try:
        return jwt.PyJWK(dict(data), algorithm=alg)
    except jwt.PyJWTError as err:
        raise IDTokenError(f"the provider's key {kid!r} cannot check {alg!r} signatures: {err}") from None


def verify_id_token(
    token: str,
    key_for: KeyLookup,
    *,
    issuer: str,
    audiences: Iterable[str],
    nonce: str | None = None,
    leeway: int = CLOCK_SKEW_SECONDS,
) -> dict[str, Any]:
    """The claims of a valid ID token; :class:`IDTokenError` otherwise."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as err:
        raise IDTokenError(f"malformed token: {err}") from None
    alg = str(header.get("alg") or "")
    if alg not in ASYMMETRIC_ALGORITHMS:
        raise IDTokenError(
            f"signing algorithm {alg or 'none'!r} is not accepted: ID tokens must be signed with one of "
            f"the provider's keys ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))})"
        )
    kid = str(header.get("kid") or "")
    key = key_for(kid, alg)
    if key is None:
        raise IDTokenError(
            f"token is signed by a key (kid {kid!r}) that the provider {issuer} does not publish"
        )
    wanted = list(audiences)
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=[alg],
            audience=wanted,
            issuer=issuer,
            leeway=leeway,
            options={"require": ["iss", "sub", "aud", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError:
        raise IDTokenError("token is expired: log in again") from None
    except jwt.InvalidAudienceError:
        got = _as_text(_unverified(token, "aud"))
        raise IDTokenError(
            f"token audience {got!r} is not one of the allowed audiences {wanted} "
            "(oidc.config clientID, cliClientID or allowedAudiences)"
        ) from None
    except jwt.InvalidIssuerError:
        raise IDTokenError(
            f"token issuer {_unverified(token, 'iss')!r} is not the configured issuer {issuer!r}"
        ) from None
    except jwt.InvalidSignatureError:
        raise IDTokenError("token signature does not verify with the provider's key") from None
    except jwt.PyJWTError as err:
        raise IDTokenError(f"invalid token: {err}") from None
    if nonce is not None and claims.get("nonce") != nonce:
        raise IDTokenError("token nonce does not match this login: start the login again")
    return claims


def _as_text(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _unverified(token: str, claim: str) -> Any:
    try:
        return jwt.decode(token, options={"verify_signature": False}).get(claim)
    except jwt.PyJWTError:
        return None
