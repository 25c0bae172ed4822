"""``oidc.config`` and ``url`` of argocd-cm as Argo CD reads them, secret references included."""

from __future__ import annotations

import pytest

from argosy.server.auth.oidc.config import (
    DEFAULT_SCOPES,
    OIDCConfigError,
    callback_url,
    parse_oidc_config,
)

SECRETS = {
    ("argocd-secret", "oidc.keycloak.clientSecret"): "from-argocd-secret",
    ("keycloak-oidc", "clientSecret"): "from-other-secret",
}


def lookup(name: str, key: str) -> str | None:
    return SECRETS.get((name, key))


def cm(oidc: str, url: str = "https://argosy.example.com") -> dict[str, str]:
    return {"url": url, "oidc.config": oidc}


def test_minimal_config_gets_argo_cd_defaults() -> None:
    config = parse_oidc_config(cm("name: Okta\nissuer: https://idp.example.com\nclientID: argosy\n"), lookup)
    assert config is not None
    assert config.name == "Okta" and config.issuer == "https://idp.example.com"
    assert config.requested_scopes == DEFAULT_SCOPES == ("openid", "profile", "email", "groups")
    assert config.audiences == ("argosy",) and config.cli_client == "argosy"
    assert config.refresh_threshold_seconds == 300 and not config.enable_pkce


def test_every_field_is_read() -> None:
    text = """
name: Keycloak
issuer: https://kc.example.com/realms/argo
clientID: argosy
clientSecret: $oidc.keycloak.clientSecret
cliClientID: argosy-cli
requestedScopes: [openid, groups]
requestedIDTokenClaims: {groups: {essential: true}}
allowedAudiences: [argosy, other]
enablePKCEAuthentication: true
logoutURL: https://kc.example.com/logout?id_token_hint={{token}}
refreshTokenThreshold: 2m
"""
    config = parse_oidc_config(cm(text), lookup)
    assert config is not None
    assert config.client_secret == "from-argocd-secret"
    assert config.cli_client == "argosy-cli" and config.audiences == ("argosy", "other")
    assert config.requested_scopes == ("openid", "groups") and config.enable_pkce
    assert config.refresh_threshold_seconds == 120
    public = config.public()
    assert public == {
        "name": "Keycloak",
        "issuer": "https://kc.example.com/realms/argo",
        "clientID": "argosy",
        "cliClientID": "argosy-cli",
        "scopes": ["openid", "groups"],
        "idTokenClaims": {"groups": {"essential": True}},
        "enablePKCEAuthentication": True,
        "refreshTokenThreshold": "120s",
    }
    assert "from-argocd-secret" not in repr(config) and "clientSecret" not in public


def test_default_audiences_are_both_client_ids() -> None:
    config = parse_oidc_config(cm("issuer: https://i\nclientID: web\ncliClientID: cli\n"), lookup)
    assert config is not None and config.audiences == ("web", "cli")


def test_secret_reference_into_another_secret() -> None:
    config = parse_oidc_config(
        cm("issuer: https://i\nclientID: web\nclientSecret: $keycloak-oidc:clientSecret\n"), lookup
    )
    assert config is not None and config.client_secret == "from-other-secret"


def test_unresolvable_reference_names_secret_and_key() -> None:
    with pytest.raises(OIDCConfigError, match=r"key 'nope' of Secret 'argocd-secret'"):
        parse_oidc_config(cm("issuer: https://i\nclientID: web\nclientSecret: $nope\n"), lookup)
    with pytest.raises(OIDCConfigError, match=r"key 'x' of Secret 'missing'"):
        parse_oidc_config(cm("issuer: https://i\nclientID: web\nclientSecret: $missing:x\n"), lookup)


def test_no_sso_configured() -> None:
    assert parse_oidc_config({"url": "https://a"}, lookup) is None


def test_dex_config_is_refused_pointing_to_oidc_config() -> None:
    with pytest.raises(OIDCConfigError, match=r"'dex.config'.*no Dex.*'oidc.config'"):
        parse_oidc_config({"url": "https://a", "dex.config": "connectors: []"}, lookup)


def test_url_is_required() -> None:
    with pytest.raises(OIDCConfigError, match=r"'url' is not set.*auth/callback"):
        parse_oidc_config(cm("issuer: https://i\nclientID: web\n", url=""), lookup)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("clientID: web\n", "'issuer' is required"),
        ("issuer: https://i\n", "'clientID' is required"),
        ("issuer: ftp://i\nclientID: w\n", "not an http"),
        ("[a, b]", "must be a YAML mapping"),
        ("issuer: [\n", "not valid YAML"),
        ("issuer: https://i\nclientID: w\nrequestedScopes: openid\n", "'requestedScopes'"),
        ("issuer: https://i\nclientID: w\nrefreshTokenThreshold: soon\n", "'refreshTokenThreshold'"),
    ],
)
def test_bad_documents_name_the_field(text: str, message: str) -> None:
    with pytest.raises(OIDCConfigError, match=message):
        parse_oidc_config(cm(text), lookup)


def test_callback_url() -> None:
    assert callback_url({"url": "https://argosy.example.com/"}) == "https://argosy.example.com/auth/callback"
