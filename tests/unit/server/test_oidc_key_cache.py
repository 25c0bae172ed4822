"""The provider's keys are cached, re-read on an unknown ``kid`` (rotation), and not hammered."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from argosy.server.auth.oidc import provider as provider_module
from argosy.server.auth.oidc.provider import Provider, ProviderError

ISSUER = "https://idp.example.com/"


def jwk(kid: str) -> dict[str, Any]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data: dict[str, Any] = json.loads(jwt.get_algorithm_by_name("RS256").to_jwk(key.public_key()))
    return {**data, "kid": kid, "alg": "RS256"}


class FakeIdP:
    """Serves discovery and a key set that the test rotates; counts the key-set reads."""

    def __init__(self, issuer: str = ISSUER) -> None:
        self.issuer = issuer
        self.keys = [jwk("k1")]
        self.jwks_reads = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/.well-known/openid-configuration":
            doc = {"issuer": self.issuer, "authorization_endpoint": ISSUER + "auth",
                   "token_endpoint": ISSUER + "token", "jwks_uri": ISSUER + "keys"}  # fmt: skip
            return httpx.Response(200, json=doc)
        if request.url.path == "/keys":
            self.jwks_reads += 1
            return httpx.Response(200, json={"keys": self.keys})
        return httpx.Response(404)


def provider_for(idp: FakeIdP) -> Provider:
    return Provider(ISSUER, client=httpx.Client(transport=httpx.MockTransport(idp.handle)))


def test_keys_are_cached_and_reread_on_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    idp = FakeIdP()
    provider = provider_for(idp)
    assert provider.key_for("k1", "RS256") is not None
    assert provider.key_for("k1", "RS256") is not None
    assert idp.jwks_reads == 1
    idp.keys = [jwk("k2")]  # the provider rotates its key
    monkeypatch.setattr(provider_module, "KEY_REFETCH_INTERVAL", 0.0)
    assert provider.key_for("k2", "RS256") is not None
    assert idp.jwks_reads == 2


def test_unknown_kids_do_not_hammer_the_provider() -> None:
    idp = FakeIdP()
    provider = provider_for(idp)
    assert provider.key_for("k1", "RS256") is not None
    for kid in ("x1", "x2", "x3"):
        assert provider.key_for(kid, "RS256") is None
    assert idp.jwks_reads == 1  # within KEY_REFETCH_INTERVAL of the last read


def test_discovery_must_name_the_configured_issuer() -> None:
    provider = provider_for(FakeIdP(issuer="https://other.example.com/"))
    with pytest.raises(ProviderError, match=r"names issuer 'https://other\.example\.com/'"):
        provider.endpoints()
