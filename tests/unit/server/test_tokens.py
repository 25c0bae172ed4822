"""JWT handling: what is signed, and every way a token must be refused."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from argosy.server.auth.tokens import TokenError, sign, split_subject, verify

KEY = b"k" * 32


def test_signed_claims_match_argo_cd() -> None:
    token = sign("alice:apiKey", KEY, expires_in=60, token_id="id-1", now=1_700_000_000)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims == {
        "iat": 1_700_000_000,
        "nbf": 1_700_000_000,
        "iss": "argocd",
        "sub": "alice:apiKey",
        "jti": "id-1",
        "exp": 1_700_000_060,
    }
    assert jwt.get_unverified_header(token)["alg"] == "HS256"


def test_no_expiry_when_zero() -> None:
    claims = verify(sign("bot:apiKey", KEY, token_id="x"), KEY)
    assert "exp" not in claims


def test_wrong_key_refused() -> None:
    with pytest.raises(TokenError, match="invalid token"):
        verify(sign("admin:login", b"other-key-" * 4), KEY)


def _unsigned(claims: dict[str, object]) -> str:
    def enc(part: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'none', 'typ': 'JWT'})}.{enc(claims)}."


def test_alg_none_refused() -> None:
    now = int(time.time())
    with pytest.raises(TokenError, match="unexpected signing method"):
        verify(_unsigned({"iss": "argocd", "sub": "admin:login", "iat": now}), KEY)


def test_other_hmac_algorithm_refused_even_with_the_right_key() -> None:
    token = jwt.encode({"iss": "argocd", "sub": "admin:login", "iat": int(time.time())}, KEY * 2, "HS384")
    with pytest.raises(TokenError, match="unexpected signing method"):
        verify(token, KEY * 2)


def test_expired_refused() -> None:
    token = sign("admin:login", KEY, expires_in=10, now=time.time() - 60)
    with pytest.raises(TokenError, match="expired"):
        verify(token, KEY)


def test_not_yet_valid_refused() -> None:
    token = sign("admin:login", KEY, now=time.time() + 3600)
    with pytest.raises(TokenError):
        verify(token, KEY)


def test_foreign_issuer_and_missing_iat_refused() -> None:
    with pytest.raises(TokenError):
        verify(jwt.encode({"iss": "dex", "sub": "a", "iat": int(time.time())}, KEY, "HS256"), KEY)
    with pytest.raises(TokenError):
        verify(jwt.encode({"iss": "argocd", "sub": "a"}, KEY, "HS256"), KEY)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "e30.e30.e30"])
def test_garbage_refused(garbage: str) -> None:
    with pytest.raises(TokenError):
        verify(garbage, KEY)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("admin:login", ("admin", "login")),
        ("alice:apiKey", ("alice", "apiKey")),
        ("alice", ("alice", "apiKey")),
        ("alice:other", ("alice", "apiKey")),
    ],
)
def test_split_subject(subject: str, expected: tuple[str, str]) -> None:
    assert split_subject(subject) == expected
