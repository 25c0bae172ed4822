"""JWT handling: what is signed, and every way a token must be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
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


def test_expiry_is_judged_at_the_clock_the_caller_passes() -> None:
    token = sign("admin:login", KEY, expires_in=60, token_id="s", now=1_700_000_000)
    assert verify(token, KEY, now=1_700_000_059)["sub"] == "admin:login"
    with pytest.raises(TokenError, match="expired"):
        verify(token, KEY, now=1_700_000_060)
    with pytest.raises(TokenError, match="not yet valid"):
        verify(token, KEY, now=1_699_999_999)


def test_a_token_issued_ahead_of_the_system_clock_is_judged_at_the_callers_clock() -> None:
    """A server judging by its own clock accepts the token it issued at that clock, even when the
    system clock is behind (it once refused it: PyJWT checked ``iat`` against the system clock)."""
    ahead = time.time() + 30
    token = sign("admin:login", KEY, token_id="s", now=ahead)
    assert verify(token, KEY, now=ahead)["sub"] == "admin:login"
    with pytest.raises(TokenError, match=r"not yet valid"):
        verify(token, KEY)  # the system clock: issued in the future
    unsigned = {"iat": int(ahead) + 60, "iss": "argocd", "sub": "admin:login"}  # no nbf: iat alone
    with pytest.raises(TokenError, match=r"not yet valid \(iat\)"):
        verify(jwt.encode(unsigned, KEY, algorithm="HS256"), KEY, now=ahead)


def test_rs256_token_refused_where_hs256_is_expected() -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"iss": "argocd", "sub": "admin:login", "iat": int(time.time()), "jti": "x"}
    with pytest.raises(TokenError, match=r"unexpected signing method: 'RS256'"):
        verify(jwt.encode(claims, private, algorithm="RS256"), KEY)


def test_hs256_signed_with_a_public_key_is_just_a_wrong_key() -> None:
    """Key confusion: the HMAC key is the server's secret, never a public key an attacker can read."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public_pem = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    claims = {"iss": "argocd", "sub": "admin:login", "iat": int(time.time()), "jti": "x"}

    # Built by hand: PyJWT itself refuses to use a PEM public key as an HMAC secret.
    def enc(part: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()

    signing_input = f"{enc({'alg': 'HS256', 'typ': 'JWT'})}.{enc(claims)}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    with pytest.raises(TokenError, match="invalid token"):
        verify(token, KEY)
    with pytest.raises(TokenError, match="asymmetric key"):  # even a key misconfigured as a PEM
        verify(token, public_pem)


def test_a_claimed_audience_is_refused() -> None:
    """Local tokens carry no ``aud``; one that names an audience was made for something else."""
    claims = {"iss": "argocd", "sub": "admin:login", "iat": int(time.time()), "aud": "other-service"}
    with pytest.raises(TokenError, match=r"[Aa]udience"):
        verify(jwt.encode(claims, KEY * 2, "HS256"), KEY * 2)
