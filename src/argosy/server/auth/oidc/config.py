"""SSO settings: ``oidc.config`` and ``url`` in ``argocd-cm``, read as Argo CD reads them.

``oidc.config`` is a YAML document::

    name: Keycloak                     # shown on the "Log in via ..." button
    issuer: https://idp.example.com/realms/argo
    clientID: argosy                   # the server's (confidential) client
    clientSecret: $oidc.keycloak.clientSecret   # a reference, never the value
    cliClientID: argosy-cli            # the CLI's public client (PKCE), optional
    requestedScopes: [openid, profile, email, groups]
    requestedIDTokenClaims: {groups: {essential: true}}
    allowedAudiences: [argosy, argosy-cli]
    enablePKCEAuthentication: true
    rootCA: |                          # PEM, to trust a private issuer
      -----BEGIN CERTIFICATE-----
    logoutURL: https://idp.example.com/logout?id_token_hint={{token}}&post_logout_redirect_uri={{logoutRedirectURL}}
    refreshTokenThreshold: 5m          # refresh a token this long before it expires

Any string value that starts with ``$`` is a reference to a Secret value, as
in Argo CD: ``$key`` is key ``key`` of ``argocd-secret``, ``$name:key`` is key
``key`` of the Secret ``name`` (labelled ``app.kubernetes.io/part-of: argocd``).
A reference that resolves to nothing is an error naming it, so a typo does
not end up sent to the provider as the client secret.

``dex.config`` (Argo CD's bundled Dex) is refused with a message pointing to
``oidc.config``: Argosy bundles no Dex; point ``oidc.config`` at your identity
provider, or at a Dex you run yourself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from argosy.engine.durations import DurationError, parse_seconds

KEY_OIDC = "oidc.config"
KEY_DEX = "dex.config"
KEY_URL = "url"
DEFAULT_SCOPES: tuple[str, ...] = ("openid", "profile", "email", "groups")
DEFAULT_REFRESH_THRESHOLD_SECONDS = 300
ARGOCD_SECRET = "argocd-secret"

#: ``lookup(secret_name, key)``: the text of a Secret value, None when the Secret or key is missing.
SecretLookup = Callable[[str, str], str | None]


class OIDCConfigError(ValueError):
    """SSO is misconfigured; the message names the ConfigMap key or field and what to do."""


@dataclass(frozen=True)
class OIDCConfig:
    """The parsed ``oidc.config`` with secret references resolved."""

    name: str
    issuer: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    cli_client_id: str = ""
    requested_scopes: tuple[str, ...] = DEFAULT_SCOPES
    requested_id_token_claims: Mapping[str, Any] = field(default_factory=dict)
    allowed_audiences: tuple[str, ...] = ()
    enable_pkce: bool = False
    root_ca: str = ""
    logout_url: str = ""
    refresh_threshold_seconds: int = DEFAULT_REFRESH_THRESHOLD_SECONDS

    @property
    def audiences(self) -> tuple[str, ...]:
        """Audiences a token may carry: ``allowedAudiences``, else the server's and the CLI's client ids."""
        if self.allowed_audiences:
            return self.allowed_audiences
        return tuple(a for a in (self.client_id, self.cli_client_id) if a)

    @property
    def cli_client(self) -> str:
        """The client the CLI logs in with (``cliClientID``, else ``clientID``, as Argo CD)."""
        return self.cli_client_id or self.client_id

    def public(self) -> dict[str, Any]:
        """What ``/api/v1/settings`` advertises (Argo CD's ``oidcConfig``): no secret, no CA."""
        out: dict[str, Any] = {
            "name": self.name,
            "issuer": self.issuer,
            "clientID": self.client_id,
            "scopes": list(self.requested_scopes),
            "enablePKCEAuthentication": self.enable_pkce,
            # Not in Argo CD's message: tells the CLI when to refresh its ID token.
            "refreshTokenThreshold": f"{self.refresh_threshold_seconds}s",
        }
        if self.cli_client_id:
            out["cliClientID"] = self.cli_client_id
        if self.requested_id_token_claims:
            out["idTokenClaims"] = dict(self.requested_id_token_claims)
        return out


def resolve_secret_ref(value: str, lookup: SecretLookup, where: str) -> str:
    """``$key`` / ``$secret:key`` to the Secret's value; other strings unchanged."""
    if not value.startswith("$") or len(value) < 2:
        return value
    ref = value[1:]
    name, sep, key = ref.partition(":")
    secret, key = (name, key) if sep else (ARGOCD_SECRET, ref)
    resolved = lookup(secret, key)
    if resolved is None:
        raise OIDCConfigError(
            f"{where}: {value!r} refers to key {key!r} of Secret {secret!r}, which does not exist; "
            f"add the key to the Secret (labelled app.kubernetes.io/part-of: argocd) or fix the reference"
        )
    return resolved


def _resolve_all(value: Any, lookup: SecretLookup, where: str) -> Any:
    if isinstance(value, str):
        return resolve_secret_ref(value, lookup, where)
    if isinstance(value, list):
        return [_resolve_all(v, lookup, where) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _resolve_all(v, lookup, f"{where} field {k!r}") for k, v in value.items()}
    return value


def _str_list(doc: Mapping[str, Any], key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = doc.get(key)
    if value is None:
        return default
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise OIDCConfigError(f"argocd-cm {KEY_OIDC} field {key!r}: expected a list of strings, got {value!r}")


def _text(doc: Mapping[str, Any], key: str) -> str:
    value = doc.get(key)
    if value is None:
        return ""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return str(value).strip()
    raise OIDCConfigError(f"argocd-cm {KEY_OIDC} field {key!r}: expected a string, got {value!r}")


def _threshold(doc: Mapping[str, Any]) -> int:
    text = _text(doc, "refreshTokenThreshold")
    if not text:
        return DEFAULT_REFRESH_THRESHOLD_SECONDS
    try:
        return max(0, int(parse_seconds(text)))
    except DurationError as err:
        raise OIDCConfigError(
            f"argocd-cm {KEY_OIDC} field 'refreshTokenThreshold': {err} (write e.g. '5m')"
        ) from None


def parse_oidc_config(cm: Mapping[str, str], lookup: SecretLookup) -> OIDCConfig | None:
    """The SSO configuration of ``argocd-cm``; None when SSO is not configured.

    Raises :class:`OIDCConfigError` for ``dex.config``, a missing ``url``, a
    document that is not YAML, a missing required field or an unresolvable
    secret reference.
    """
    text = (cm.get(KEY_OIDC) or "").strip()
    if not text:
        if (cm.get(KEY_DEX) or "").strip():
            raise OIDCConfigError(
                f"argocd-cm key {KEY_DEX!r} is set, but Argosy bundles no Dex: configure your identity "
                f"provider (or a Dex you run yourself) in {KEY_OIDC!r} instead, with issuer, clientID and "
                "clientSecret (see docs/sso.md)"
            )
        return None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise OIDCConfigError(f"argocd-cm key {KEY_OIDC!r} is not valid YAML: {err}") from None
    if not isinstance(raw, Mapping):
        raise OIDCConfigError(
            f"argocd-cm key {KEY_OIDC!r} must be a YAML mapping (name, issuer, clientID, ...)"
        )
    doc: Mapping[str, Any] = _resolve_all(raw, lookup, f"argocd-cm {KEY_OIDC}")
    issuer = _text(doc, "issuer")
    client_id = _text(doc, "clientID")
    for key, value in (("issuer", issuer), ("clientID", client_id)):
        if not value:
            raise OIDCConfigError(f"argocd-cm {KEY_OIDC}: field {key!r} is required")
    if not issuer.startswith(("https://", "http://")):
        raise OIDCConfigError(f"argocd-cm {KEY_OIDC} field 'issuer': {issuer!r} is not an http(s) URL")
    if not (cm.get(KEY_URL) or "").strip():
        raise OIDCConfigError(
            f"argocd-cm key {KEY_URL!r} is not set: SSO needs Argosy's external URL (e.g. "
            "https://argosy.example.com) to build the callback URL <url>/auth/callback"
        )
    claims = doc.get("requestedIDTokenClaims") or {}
    if not isinstance(claims, Mapping):
        raise OIDCConfigError(f"argocd-cm {KEY_OIDC} field 'requestedIDTokenClaims': expected a mapping")
    pkce = doc.get("enablePKCEAuthentication", False)
    return OIDCConfig(
        name=_text(doc, "name") or "SSO",
        issuer=issuer,
        client_id=client_id,
        client_secret=_text(doc, "clientSecret"),
        cli_client_id=_text(doc, "cliClientID"),
        requested_scopes=_str_list(doc, "requestedScopes", DEFAULT_SCOPES),
        requested_id_token_claims=dict(claims),
        allowed_audiences=_str_list(doc, "allowedAudiences", ()),
        enable_pkce=pkce is True or str(pkce).lower() == "true",
        root_ca=_text(doc, "rootCA"),
        logout_url=_text(doc, "logoutURL"),
        refresh_threshold_seconds=_threshold(doc),
    )


def callback_url(cm: Mapping[str, str]) -> str:
    """``<url>/auth/callback``: where the provider sends the browser back."""
    return (cm.get(KEY_URL) or "").strip().rstrip("/") + "/auth/callback"
