"""One webhook request in, one decision out: status code, message and the event (if any).

The HTTP route stays thin: it hands over headers and the raw body, answers
with :attr:`WebhookResult.status`, and on a push refreshes
:func:`~argosy.server.webhook.refresh.apps_to_refresh`. Order matters for
safety: size first, then provider, then authentication, and only an
authenticated body is parsed, so a forged request triggers nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from argosy.server.webhook.events import Event, PayloadError, detect_provider, parse_event
from argosy.server.webhook.signature import SignatureError, WebhookSecrets, lower_headers, verify

#: Argo CD's default ``webhook.maxPayloadSizeMB`` is 50.
DEFAULT_MAX_PAYLOAD_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class WebhookResult:
    status: int
    message: str
    provider: str = ""
    event: Event | None = None


def handle_webhook(
    headers: Mapping[str, str],
    body: bytes,
    secrets: WebhookSecrets,
    *,
    max_payload_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
) -> WebhookResult:
    """Authenticate and read a webhook request; never raises for bad input."""
    if len(body) > max_payload_bytes:
        return WebhookResult(
            413,
            f"payload of {len(body)} bytes exceeds the {max_payload_bytes}-byte limit "
            "(raise webhook.maxPayloadSizeMB in argocd-cm if this is a real push)",
        )
    hdrs = lower_headers(headers)
    detected = detect_provider(hdrs)
    if detected is None:
        return WebhookResult(
            400, "unknown webhook event: no GitHub, GitLab, Bitbucket, Gogs/Gitea or Azure header"
        )
    provider, event_name = detected
    try:
        verify(provider, hdrs, body, secrets)
    except SignatureError as err:
        return WebhookResult(401, f"{provider} webhook rejected: {err}", provider)
    try:
        event = parse_event(provider, event_name, body)
    except PayloadError as err:
        return WebhookResult(400, str(err), provider)
    return WebhookResult(200, "ok", provider, event)
