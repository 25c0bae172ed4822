"""ID token verification: every way a forged, stolen or stale token must be refused."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from argosy.server.auth.oidc.verify import IDTokenError, key_from_jwk, verify_id_token

ISSUER = "https://idp.example.com/"
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def jwk(private: Any, kid: str, alg: str) -> dict[str, Any]:
    algo = jwt.get_algorithm_by_name(alg)
    data: dict[str, Any] = json.loads(algo.to_jwk(private.public_key()))
    return {**data, "kid": kid, "alg": alg, "use": "sig"}


JWKS = {"rsa1": jwk(RSA_KEY, "rsa1", "RS256"), "ec1": jwk(EC_KEY, "ec1", "ES256")}


def key_for(kid: str, alg: str) -> jwt.PyJWK | None:
    data = JWKS.get(kid)
    return key_from_jwk(data, alg) if data else None


def claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER, "sub": "u-alice", "aud": "argosy", "iat": now, "exp": now + 300,
        "nonce": "n-1", "groups": ["team-a"], "email": "alice@example.com",
    }  # fmt: skip
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def token(private: Any = RSA_KEY, kid: str = "rsa1", alg: str = "RS256", **over: Any) -> str:
    return jwt.encode(claims(**over), private, algorithm=alg, headers={"kid": kid})


def check(tok: str, nonce: str | None = "n-1") -> dict[str, Any]:
    return verify_id_token(tok, key_for, issuer=ISSUER, audiences=["argosy", "argosy-cli"], nonce=nonce)


def test_valid_tokens_give_their_claims() -> None:
    assert check(token())["groups"] == ["team-a"]
    assert check(token(EC_KEY, "ec1", "ES256", aud=["other", "argosy-cli"]))["sub"] == "u-alice"


def test_wrong_issuer() -> None:
    with pytest.raises(IDTokenError, match=r"issuer 'https://evil.example.com/' is not the configured"):
        check(token(iss="https://evil.example.com/"))


def test_wrong_audience() -> None:
    with pytest.raises(IDTokenError, match=r"audience 'someone-else' is not one of the allowed"):
        check(token(aud="someone-else"))


def test_expired_beyond_the_clock_skew() -> None:
    now = int(time.time())
    with pytest.raises(IDTokenError, match="expired"):
        check(token(iat=now - 600, exp=now - 60))
    assert check(token(iat=now - 600, exp=now - 5))  # within the 30 s skew


def test_alg_none_and_unsigned_are_refused() -> None:
    unsigned = jwt.encode(claims(), None, algorithm="none", headers={"kid": "rsa1"})
    with pytest.raises(IDTokenError, match="'none' is not accepted"):
        check(unsigned)
    stripped = ".".join(token().split(".")[:2]) + "."
    with pytest.raises(IDTokenError, match="signature"):
        check(stripped)


def test_hmac_with_the_public_key_is_refused() -> None:
    # The classic key-confusion forgery: HS256 "signed" with the RSA public key's bytes.
    forged = jwt.api_jws.PyJWS()
    header = {"alg": "HS256", "kid": "rsa1", "typ": "JWT"}
    raw = forged.encode(
        json.dumps(claims()).encode(), b"public-key-bytes-of-32-bytes-len", algorithm="HS256", headers=header
    )
    with pytest.raises(IDTokenError, match="'HS256' is not accepted"):
        check(raw)


def test_unknown_key_and_wrong_key() -> None:
    with pytest.raises(IDTokenError, match=r"kid 'rogue'.*does not publish"):
        check(token(OTHER_RSA_KEY, kid="rogue"))
    with pytest.raises(IDTokenError, match="signature does not verify"):
        check(token(OTHER_RSA_KEY, kid="rsa1"))


def test_algorithm_must_fit_the_key() -> None:
    with pytest.raises(IDTokenError, match="key 'rsa1' is for 'RS256'"):
        check(token(EC_KEY, kid="rsa1", alg="ES256"))
    with pytest.raises(IDTokenError, match="cannot check 'ES256'"):
        key_from_jwk({k: v for k, v in JWKS["rsa1"].items() if k != "alg"}, "ES256")


def test_nonce_mismatch_and_missing_claims() -> None:
    with pytest.raises(IDTokenError, match="nonce does not match"):
        check(token(nonce="other"))
    assert check(token(nonce=None), nonce=None)
    with pytest.raises(IDTokenError, match="exp"):
        check(token(exp=None))


def test_garbage() -> None:
    with pytest.raises(IDTokenError, match="malformed"):
        check("not-a-token")
