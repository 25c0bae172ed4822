"""Signed JWTs: what Argo CD issues for sessions, API tokens and project tokens.

HS256 only, with the server's key. A token signed with another key, with
``alg: none`` or any other algorithm (RS256 included: the key is a shared
secret, never a public key), without ``iat``, not yet valid, or expired is
refused before its claims are looked at. Expiry is judged against the time
the caller passes (the server's clock), so tests and replicas agree on it.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt

ISSUER = "argocd"
ALGORITHM = "HS256"
CAPABILITY_LOGIN = "login"
CAPABILITY_API_KEY = "apiKey"


class TokenError(ValueError):
    """The token cannot be trusted; the message says why (never echoes the token)."""


def new_token_id() -> str:
    return str(uuid.uuid4())


def sign(
    subject: str, key: bytes, *, expires_in: int = 0, token_id: str = "", now: float | None = None
) -> str:
    """A token for ``subject``; ``expires_in`` 0 means it never expires (as Argo CD's API tokens)."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {"iat": issued, "iss": ISSUER, "nbf": issued, "sub": subject}
    if token_id:
        claims["jti"] = token_id
    if expires_in > 0:
        claims["exp"] = issued + int(expires_in)
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def unverified_issuer(token: str) -> str:
    """The ``iss`` claim without checking the signature (to route SSO vs local tokens)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as err:
        raise TokenError(f"malformed token: {err}") from None
    iss = claims.get("iss")
    return iss if isinstance(iss, str) else ""


def verify(token: str, key: bytes, *, leeway: int = 0, now: float | None = None) -> dict[str, Any]:
    """The claims of a token this server signed; raises :class:`TokenError` otherwise.

    ``now`` (epoch seconds, default the system clock) is when the token is judged: it is
    expired once ``now`` passes ``exp`` + ``leeway``, not yet valid before ``nbf`` - ``leeway``
    or while its ``iat`` is still ahead of ``now`` + ``leeway``. Every time rule is judged at
    ``now``: PyJWT's own ``iat`` check read the system clock, so a server judging by its
    session clock refused the tokens it had just issued whenever the two differed.
    """
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as err:
        raise TokenError(f"malformed token: {err}") from None
    if header.get("alg") != ALGORITHM:
        raise TokenError(f"unexpected signing method: {header.get('alg')!r}")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={
                "require": ["iat", "sub", "iss"],
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError as err:
        raise TokenError(f"invalid token: {err}") from None
    _check_times(claims, time.time() if now is None else now, leeway)
    return claims


def _check_times(claims: dict[str, Any], now: float, leeway: int) -> None:
    """PyJWT's ``exp``/``nbf``/``iat`` rules, judged at ``now`` instead of the system clock."""
    for claim in ("exp", "nbf", "iat"):
        if claim in claims and not isinstance(claims[claim], int | float):
            raise TokenError(f"invalid token: the {claim} claim must be a number")
    if "exp" in claims and now >= claims["exp"] + leeway:
        raise TokenError("token is expired")
    if "nbf" in claims and now < claims["nbf"] - leeway:
        raise TokenError("invalid token: the token is not yet valid (nbf)")
    if "iat" in claims and claims["iat"] > now + leeway:
        raise TokenError("invalid token: the token is not yet valid (iat)")


def split_subject(subject: str) -> tuple[str, str]:
    """``("admin", "login")`` for ``admin:login``; the capability defaults to apiKey as in Argo CD."""
    name, sep, capability = subject.partition(":")
    if sep and capability in (CAPABILITY_LOGIN, CAPABILITY_API_KEY):
        return name, capability
    return name, CAPABILITY_API_KEY
