"""Registry protocol paths Debian's docker-registry 2.8 cannot show: tag-list pagination
(``Link: rel="next"``), Bearer token challenges and ``429 Retry-After``.

These use ``httpx.MockTransport`` (an in-memory registry) because no real
registry that runs here paginates tags or issues tokens; everything else is
tested against the real one (``tests/integration/imageupdater``).
"""

from __future__ import annotations

import base64

import httpx
import pytest

from argosy.imageupdater import client as client_mod
from argosy.imageupdater.client import RateLimiter, RegistryClient, RegistryError
from argosy.imageupdater.credentials import Credentials
from argosy.imageupdater.registries import Endpoint, Registries, RegistryConfigError, parse_duration

ENDPOINT = Endpoint(name="mock", prefix="reg.example.com", api_url="https://reg.example.com")
TAGS = [f"v{i}" for i in range(7)]


def _client(handler: httpx.MockTransport, creds: Credentials | None = None) -> RegistryClient:
    return RegistryClient(ENDPOINT, creds, RateLimiter(1000), transport=handler)


def test_tag_lists_follow_next_links(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_mod, "PAGE_SIZE", 3)
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        last = request.url.params.get("last", "")
        n = int(request.url.params["n"])
        start = TAGS.index(last) + 1 if last else 0
        page = TAGS[start : start + n]
        headers = {}
        if start + n < len(TAGS):
            headers["Link"] = f'</v2/team/app/tags/list?n={n}&last={page[-1]}>; rel="next"'
        return httpx.Response(200, json={"name": "team/app", "tags": page}, headers=headers)

    assert _client(httpx.MockTransport(handle)).tags("team/app") == TAGS
    assert len(seen) == 3


def test_bearer_challenge_fetches_a_token_with_the_credentials() -> None:
    tokens: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/token":
            assert request.url.params["scope"] == "repository:team/app:pull"
            user = base64.b64decode(request.headers["authorization"].split()[1]).decode()
            assert user == "u:p"
            tokens.append("t0k")
            return httpx.Response(200, json={"token": "t0k"})
        if request.headers.get("authorization") != "Bearer t0k":
            challenge = (
                'Bearer realm="https://reg.example.com/token",service="reg",scope="repository:team/app:pull"'
            )
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        return httpx.Response(200, json={"tags": ["1.0"]})

    client = _client(httpx.MockTransport(handle), Credentials("u", "p"))
    assert client.tags("team/app") == ["1.0"]
    assert client.tags("team/app") == ["1.0"]
    assert tokens == ["t0k"], "the token is kept for the scope"


def test_429_is_retried_after_retry_after_then_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_mod.time, "sleep", lambda s: None)
    answers = iter([429, 429, 200])

    def handle(request: httpx.Request) -> httpx.Response:
        code = next(answers, 429)
        if code == 429:
            return httpx.Response(429, headers={"Retry-After": "2"})
        return httpx.Response(200, json={"tags": ["a"]})

    assert _client(httpx.MockTransport(handle)).tags("x") == ["a"]
    with pytest.raises(RegistryError) as err:
        _client(httpx.MockTransport(lambda r: httpx.Response(429))).tags("x")
    assert err.value.reason == RegistryError.RATE_LIMITED


def test_rate_limiter_spaces_requests() -> None:
    now = [0.0]
    limiter = RateLimiter(4, clock=lambda: now[0])
    limiter.acquire()
    assert limiter._next == pytest.approx(0.25)


def test_registries_conf_is_checked_and_docker_hub_is_the_default() -> None:
    from argosy.imageupdater.reference import parse_image

    regs = Registries.parse(
        """
registries:
- name: Local
  prefix: 127.0.0.1:5000
  api_url: http://127.0.0.1:5000
  credentials: env:CREDS
  credsexpire: 1h30m
  limit: 5
"""
    )
    local = regs.for_image(parse_image("127.0.0.1:5000/a/b:1"))
    assert (local.api_url, local.limit, local.creds_expire_seconds) == ("http://127.0.0.1:5000", 5.0, 5400.0)
    hub = regs.for_image(parse_image("nginx"))
    assert (
        hub.api_url == "https://registry-1.docker.io"
        and hub.repository(parse_image("nginx")) == "library/nginx"
    )
    assert regs.for_image(parse_image("ghcr.io/o/i")).api_url == "https://ghcr.io"
    with pytest.raises(RegistryConfigError, match="entry 1 \\(x\\): 'api_url' is required"):
        Registries.parse("registries:\n- name: x\n  prefix: a.io\n")
    with pytest.raises(RegistryConfigError, match="credsexpire"):
        Registries.parse("registries:\n- prefix: a.io\n  api_url: https://a.io\n  credsexpire: soon\n")
    assert parse_duration("90s") == 90.0
