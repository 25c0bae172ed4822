"""Argosy's OpenID client against the real provider, no cluster: discovery, keys, the CLI's
PKCE flow with its loopback listener, refresh, and the refusals of a wrong state or issuer."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from argosy.cli import sso
from argosy.cli.commands.backend import CliError
from argosy.devcluster.ports import free_ports
from argosy.server.auth.oidc.provider import Provider, ProviderError
from argosy.server.auth.oidc.verify import IDTokenError, verify_id_token
from support.oidc_provider import CLI_CLIENT_ID, OIDCProvider, User, login_at_provider

BOB = User("u-bob", "bob", "bob-pass-12", "bob@example.com", ("team-a", "team-b"))


@pytest.fixture(scope="module")
def idp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OIDCProvider]:
    with OIDCProvider(tmp_path_factory.mktemp("idp"), users=(BOB,)) as provider:
        yield provider


def settings(idp: OIDCProvider, **over: Any) -> dict[str, Any]:
    oidc = {"name": "Test", "issuer": idp.issuer, "clientID": "argosy", "cliClientID": CLI_CLIENT_ID,
            "scopes": ["openid", "profile", "email", "groups"]}  # fmt: skip
    return {"oidcConfig": {**oidc, **over}}


class Browser:
    """Waits for the CLI to print the authorize URL, logs in at the provider, follows to the CLI."""

    def __init__(self, password: str = BOB.password, tamper: str = "") -> None:
        self.lines: list[str] = []
        self.password = password
        self.tamper = tamper
        self.final: httpx.Response | None = None
        self.got_url = threading.Event()

    def echo(self, line: str) -> None:
        self.lines.append(line)
        if "authorization_code flow login:" in line:
            self.url = line.split(": ", 1)[1]
            self.got_url.set()

    def run(self) -> None:
        assert self.got_url.wait(30)
        with httpx.Client(timeout=30) as client:
            callback = login_at_provider(client, self.url, BOB.username, self.password)
            if self.tamper:
                callback = re.sub(r"state=[^&]+", f"state={self.tamper}", callback)
            self.final = client.get(callback.replace("localhost", "127.0.0.1"))


def cli_login(idp: OIDCProvider, browser: Browser) -> sso.SSOTokens:
    thread = threading.Thread(target=browser.run, daemon=True)
    thread.start()
    try:
        return sso.login(
            settings(idp), "test", port=free_ports(1)[0], launch_browser=False, echo=browser.echo, timeout=30
        )
    finally:
        thread.join(30)


def test_discovery_and_keys(idp: OIDCProvider) -> None:
    provider = Provider(idp.issuer)
    try:
        endpoints = provider.endpoints()
        assert endpoints.token.startswith(idp.issuer) and "offline_access" in endpoints.scopes_supported
        assert provider.key_for("no-such-kid", "RS256") is None
    finally:
        provider.close()


def test_issuer_must_match_the_discovery_document(idp: OIDCProvider) -> None:
    provider = Provider(idp.issuer.rstrip("/"))
    try:
        with pytest.raises(ProviderError, match="not the configured"):
            provider.endpoints()
    finally:
        provider.close()


def test_cli_pkce_flow_and_refresh(idp: OIDCProvider) -> None:
    browser = Browser()
    tokens = cli_login(idp, browser)
    assert browser.final is not None and browser.final.status_code == 200
    assert "Authentication successful" in browser.final.text
    assert tokens.claims["groups"] == ["team-a", "team-b"] and tokens.claims["aud"] in (
        CLI_CLIENT_ID,
        [CLI_CLIENT_ID],
    )
    assert tokens.refresh_token, "offline_access was requested, a refresh token is expected"
    # The provider's real token, checked for another audience (the server's client only): refused.
    provider = Provider(idp.issuer)
    try:
        with pytest.raises(IDTokenError, match=r"audience 'argosy-cli' is not one of the allowed audiences"):
            verify_id_token(tokens.id_token, provider.key_for, issuer=idp.issuer, audiences=["argosy"])
        assert verify_id_token(
            tokens.id_token, provider.key_for, issuer=idp.issuer, audiences=[CLI_CLIENT_ID]
        )
    finally:
        provider.close()
    assert sso.needs_refresh(tokens.id_token, tokens.refresh_token, now=time.time() + 3600)
    assert not sso.needs_refresh(tokens.id_token, tokens.refresh_token, now=time.time())
    time.sleep(1.1)  # a new iat, so the refreshed token differs
    renewed = sso.refresh(settings(idp), "test", tokens.refresh_token)
    assert renewed.id_token != tokens.id_token and renewed.claims["sub"] == "u-bob"


def test_cli_refuses_a_callback_with_another_state(idp: OIDCProvider) -> None:
    with pytest.raises(CliError, match="state does not match"):
        cli_login(idp, Browser(tamper="forged"))


def test_cli_reports_a_server_without_sso() -> None:
    with pytest.raises(CliError, match=r"no SSO configured.*oidc\.config"):
        sso.login({"oidcConfig": None}, "argosy.example.com", launch_browser=False)
