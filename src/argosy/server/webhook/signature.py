"""Is this webhook really from the Git provider? Signature and token checks per provider.

Secrets come from ``argocd-secret``: ``webhook.github.secret``,
``webhook.gitlab.secret``, ``webhook.gogs.secret`` (Gogs and Gitea),
``webhook.bitbucket.uuid``, ``webhook.bitbucketserver.secret``,
``webhook.azuredevops.username``/``webhook.azuredevops.password``. When a
provider's secret is empty its requests are accepted unsigned; when it is set,
a missing or wrong signature is refused.

Any secret works: special characters, spaces, quotes, non-ASCII. The secret
is used as its UTF-8 bytes and the HMAC is taken over the raw request body
exactly as received (never re-serialised JSON), compared in constant time.

====================  ==========================  ==============================================
provider              header                      value
====================  ==========================  ==============================================
GitHub                ``X-Hub-Signature-256``     ``sha256=`` + hex HMAC-SHA256(secret, body)
GitHub (legacy)       ``X-Hub-Signature``         ``sha1=`` + hex HMAC-SHA1 (only if no -256)
GitLab                ``X-Gitlab-Token``          the secret itself
Gogs / Gitea          ``X-Gogs-Signature`` /      hex HMAC-SHA256(secret, body)
                      ``X-Gitea-Signature``
Bitbucket Cloud       ``X-Hook-UUID``             the webhook's UUID
Bitbucket Server      ``X-Hub-Signature``         ``sha256=`` + hex HMAC-SHA256(secret, body)
Azure DevOps          ``Authorization``           HTTP basic auth
====================  ==========================  ==============================================
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

GITHUB = "github"
GITLAB = "gitlab"
GOGS = "gogs"
GITEA = "gitea"
BITBUCKET = "bitbucket"
BITBUCKET_SERVER = "bitbucketserver"
AZURE_DEVOPS = "azuredevops"


class SignatureError(Exception):
    """The request is not authenticated: missing or wrong signature/token. Answer 401, trigger nothing."""


def _utf8(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


@dataclass(frozen=True)
class WebhookSecrets:
    """The shared secrets from ``argocd-secret``; empty means "accept unsigned"."""

    github: bytes = b""
    gitlab: bytes = b""
    gogs: bytes = b""
    bitbucket_uuid: bytes = b""
    bitbucketserver: bytes = b""
    azuredevops_username: bytes = b""
    azuredevops_password: bytes = b""

    @classmethod
    def from_secret_data(
        cls, data: Mapping[str, str | bytes] | None, *, base64_encoded: bool = True
    ) -> WebhookSecrets:
        """From ``argocd-secret`` ``data`` (base64, as the API returns it) or ``stringData`` (plain)."""
        data = data or {}

        def get(key: str) -> bytes:
            raw = data.get(key)
            if raw is None:
                return b""
            if not base64_encoded:
                return _utf8(raw)
            try:
                return base64.b64decode(_utf8(raw), validate=True)
            except (binascii.Error, ValueError):
                raise ValueError(
                    f"argocd-secret key {key!r} is not valid base64; store the secret under stringData "
                    "or base64-encode it under data"
                ) from None

        return cls(
            github=get("webhook.github.secret"),
            gitlab=get("webhook.gitlab.secret"),
            gogs=get("webhook.gogs.secret"),
            bitbucket_uuid=get("webhook.bitbucket.uuid"),
            bitbucketserver=get("webhook.bitbucketserver.secret"),
            azuredevops_username=get("webhook.azuredevops.username"),
            azuredevops_password=get("webhook.azuredevops.password"),
        )


def hmac_hex(secret: str | bytes, body: bytes, digest: str = "sha256") -> str:
    """Lower-case hex HMAC of the raw body; what providers put in their signature headers."""
    return hmac.new(_utf8(secret), body, getattr(hashlib, digest)).hexdigest()


def _check_hex(expected_hex: str, given: str, header: str) -> None:
    try:
        given_bytes = bytes.fromhex(given.strip())
    except ValueError:
        raise SignatureError(f"{header} is not a hex digest") from None
    if not hmac.compare_digest(bytes.fromhex(expected_hex), given_bytes):
        raise SignatureError(f"{header} does not match the request body and the configured secret")


def _prefixed(value: str, prefix: str, header: str) -> str:
    if not value.startswith(prefix):
        raise SignatureError(f"{header} must start with {prefix!r}")
    return value[len(prefix) :]


def verify_github(headers: Mapping[str, str], body: bytes, secret: bytes) -> None:
    """``X-Hub-Signature-256: sha256=<hex>``; the legacy SHA-1 header only when the SHA-256 one is absent."""
    if not secret:
        return
    sig256 = headers.get("x-hub-signature-256")
    if sig256 is not None:
        hexdigest = _prefixed(sig256, "sha256=", "X-Hub-Signature-256")
        _check_hex(hmac_hex(secret, body), hexdigest, "X-Hub-Signature-256")
        return
    sig1 = headers.get("x-hub-signature")
    if sig1 is not None:
        hexdigest = _prefixed(sig1, "sha1=", "X-Hub-Signature")
        _check_hex(hmac_hex(secret, body, "sha1"), hexdigest, "X-Hub-Signature")
        return
    raise SignatureError("missing X-Hub-Signature-256 header (set the webhook secret in GitHub)")


def verify_gitlab(headers: Mapping[str, str], body: bytes, secret: bytes) -> None:
    if not secret:
        return
    token = headers.get("x-gitlab-token")
    if token is None:
        raise SignatureError("missing X-Gitlab-Token header (set the secret token in GitLab)")
    if not hmac.compare_digest(_utf8(token), secret):
        raise SignatureError("X-Gitlab-Token does not match webhook.gitlab.secret")


def verify_gogs(headers: Mapping[str, str], body: bytes, secret: bytes) -> None:
    """Gogs and Gitea: hex HMAC-SHA256 in ``X-Gogs-Signature`` (or Gitea's ``X-Gitea-Signature``)."""
    if not secret:
        return
    for header in ("x-gogs-signature", "x-gitea-signature"):
        value = headers.get(header)
        if value is not None:
            _check_hex(hmac_hex(secret, body), value, header.title())
            return
    raise SignatureError("missing X-Gogs-Signature / X-Gitea-Signature header (set the secret in Gogs/Gitea)")


def verify_bitbucket(headers: Mapping[str, str], body: bytes, uuid: bytes) -> None:
    if not uuid:
        return
    given = headers.get("x-hook-uuid")
    if given is None:
        raise SignatureError("missing X-Hook-UUID header")
    if not hmac.compare_digest(_utf8(given), uuid):
        raise SignatureError("X-Hook-UUID does not match webhook.bitbucket.uuid")


def verify_bitbucket_server(headers: Mapping[str, str], body: bytes, secret: bytes) -> None:
    if not secret:
        return
    value = headers.get("x-hub-signature")
    if value is None:
        raise SignatureError("missing X-Hub-Signature header (set the secret in Bitbucket Server)")
    _check_hex(hmac_hex(secret, body), _prefixed(value, "sha256=", "X-Hub-Signature"), "X-Hub-Signature")


def verify_azure_devops(headers: Mapping[str, str], body: bytes, username: bytes, password: bytes) -> None:
    if not username and not password:
        return
    auth = headers.get("authorization", "")
    scheme, _, encoded = auth.partition(" ")
    if scheme.lower() != "basic":
        raise SignatureError("missing basic Authorization header (set username/password in Azure DevOps)")
    try:
        user, _, pwd = base64.b64decode(encoded.strip(), validate=True).partition(b":")
    except (binascii.Error, ValueError):
        raise SignatureError("Authorization header is not valid basic auth") from None
    ok_user = hmac.compare_digest(user, username)
    ok_pwd = hmac.compare_digest(pwd, password)
    if not (ok_user and ok_pwd):
        raise SignatureError("Azure DevOps basic auth does not match webhook.azuredevops.username/password")


def verify(provider: str, headers: Mapping[str, str], body: bytes, secrets: WebhookSecrets) -> None:
    """Raise :class:`SignatureError` unless the request is authentic for ``provider``.

    ``headers`` must have lower-case names (see :func:`lower_headers`).
    """
    if provider == GITHUB:
        verify_github(headers, body, secrets.github)
    elif provider == GITLAB:
        verify_gitlab(headers, body, secrets.gitlab)
    elif provider in (GOGS, GITEA):
        verify_gogs(headers, body, secrets.gogs)
    elif provider == BITBUCKET:
        verify_bitbucket(headers, body, secrets.bitbucket_uuid)
    elif provider == BITBUCKET_SERVER:
        verify_bitbucket_server(headers, body, secrets.bitbucketserver)
    elif provider == AZURE_DEVOPS:
        verify_azure_devops(headers, body, secrets.azuredevops_username, secrets.azuredevops_password)
    else:
        raise SignatureError(f"unknown webhook provider {provider!r}")


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names are case-insensitive; normalise once so lookups cannot miss."""
    return {k.lower(): v for k, v in headers.items()}
