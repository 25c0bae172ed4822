"""Git webhooks: a push refreshes the Applications that track the pushed branch, within a second.

Without webhooks Argosy notices new commits at the next periodic refresh
(``timeout.reconciliation``, 3 minutes by default). Point a repository's
webhook at ``https://<argosy>/api/webhook`` and a push refreshes, right away,
every Application whose ``repoURL`` names that repository (whatever URL form
it uses) and whose ``targetRevision`` is the pushed branch or tag (or
``HEAD``, for the default branch).

Supported: GitHub, GitLab, Bitbucket Cloud, Bitbucket Server, Gogs, Gitea and
Azure DevOps. When ``argocd-secret`` holds a provider's secret, requests
without a valid signature get 401 and refresh nothing. This package is pure
(no HTTP, no cluster): :func:`handle_webhook` authenticates and reads a
request, :func:`apps_to_refresh` picks the Applications.
"""

from argosy.server.webhook.events import IgnoredEvent, PayloadError, PushEvent, detect_provider, parse_event
from argosy.server.webhook.handler import DEFAULT_MAX_PAYLOAD_BYTES, WebhookResult, handle_webhook
from argosy.server.webhook.refresh import apps_to_refresh, matching_apps, revision_matches
from argosy.server.webhook.signature import SignatureError, WebhookSecrets, hmac_hex, verify
from argosy.server.webhook.urls import (
    URLError,
    api_url_regex,
    normalize_repo_url,
    repo_matches,
    web_url_regex,
)

__all__ = [
    "DEFAULT_MAX_PAYLOAD_BYTES",
    "IgnoredEvent",
    "PayloadError",
    "PushEvent",
    "SignatureError",
    "URLError",
    "WebhookResult",
    "WebhookSecrets",
    "api_url_regex",
    "apps_to_refresh",
    "detect_provider",
    "handle_webhook",
    "hmac_hex",
    "matching_apps",
    "normalize_repo_url",
    "parse_event",
    "repo_matches",
    "revision_matches",
    "verify",
    "web_url_regex",
]
