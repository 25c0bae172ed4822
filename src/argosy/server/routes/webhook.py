"""``POST /api/webhook``: a Git push refreshes the Applications that track it.

The route is public, as Argo CD's: Git providers cannot log in, they prove
themselves with the shared secret from ``argocd-secret`` (see
:mod:`argosy.server.webhook`). Per request:

1. **rate limit** — a token bucket per client IP (:class:`TokenBuckets`);
   over the limit answers 429 with ``Retry-After`` before any work is done;
2. **size** — the body is read up to ``webhook.maxPayloadSizeMB`` (argocd-cm,
   default 50) and refused with 413 beyond it, never buffered whole;
3. **authenticate and parse** — :func:`~argosy.server.webhook.handle_webhook`
   on the raw bytes; 401 for a missing or wrong signature, 400 for an
   unknown provider or a body that is not the provider's JSON;
4. **refresh** — every matching Application gets
   ``argocd.argoproj.io/refresh: normal`` by merge patch, exactly what Argo
   CD's handler writes; the controller's watch sees the annotation, compares
   the app against the new commit (auto-sync applies it) and removes it.

The secrets and the size limit are read from the cluster at most once per
:data:`SETTINGS_TTL` seconds, so a burst of pushes does not turn into a burst
of API reads, while a rotated secret applies within a second.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from argosy.appset.events import REFRESH_ANNOTATION as APPSET_REFRESH_ANNOTATION
from argosy.appset.events import git_sources
from argosy.kube.errors import KubeError, http_status
from argosy.server.context import ServerContext
from argosy.server.metrics import server_metrics
from argosy.server.webhook import (
    DEFAULT_MAX_PAYLOAD_BYTES,
    IgnoredEvent,
    PushEvent,
    URLError,
    WebhookSecrets,
    handle_webhook,
    matching_apps,
    revision_matches,
    web_url_regex,
)

router = APIRouter(tags=["Webhook"])
log = logging.getLogger(__name__)

REFRESH_ANNOTATION = "argocd.argoproj.io/refresh"
MAX_PAYLOAD_KEY = "webhook.maxPayloadSizeMB"
SETTINGS_TTL = 1.0
#: Environment variables of the per-IP limit (requests per second, burst); a rate of 0 turns it off.
RATE_ENV = "ARGOSY_WEBHOOK_RATE_LIMIT"
BURST_ENV = "ARGOSY_WEBHOOK_RATE_BURST"
DEFAULT_RATE = 20.0
DEFAULT_BURST = 100.0
MAX_TRACKED_CLIENTS = 10_000


class TokenBuckets:
    """One token bucket per client: ``burst`` requests at once, refilled at ``rate`` per second.

    A provider sends a handful of requests per push, so honest senders never
    meet the limit; a flood from one address is cut off before it costs a
    Kubernetes read. Idle clients' full buckets are forgotten when more than
    :data:`MAX_TRACKED_CLIENTS` are tracked, so memory stays bounded.
    """

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, last refill)

    @classmethod
    def from_env(cls) -> TokenBuckets:
        def number(name: str, default: float) -> float:
            try:
                return float(os.environ.get(name, "") or default)
            except ValueError:
                log.warning("%s is not a number; using %s", name, default)
                return default

        return cls(number(RATE_ENV, DEFAULT_RATE), number(BURST_ENV, DEFAULT_BURST))

    def allow(self, client: str) -> bool:
        """Take a token for ``client``; False when its bucket is empty."""
        if self.rate <= 0:
            return True
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            allowed = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if allowed else tokens, now)
            if len(self._buckets) > MAX_TRACKED_CLIENTS:
                self._forget_idle(now)
            return allowed

    def retry_after(self) -> int:
        """Seconds until one token is back (for the 429's ``Retry-After``)."""
        return max(1, int(1.0 / self.rate + 0.999)) if self.rate > 0 else 1

    def _forget_idle(self, now: float) -> None:
        full = [c for c, (t, last) in self._buckets.items() if t + (now - last) * self.rate >= self.burst]
        for client in full:
            del self._buckets[client]


@dataclass(frozen=True)
class WebhookSettings:
    secrets: WebhookSecrets
    max_payload_bytes: int


def max_payload_bytes(cm: dict[str, str]) -> int:
    """``webhook.maxPayloadSizeMB`` in bytes (Argo CD's default 50 MB when unset or not a positive number)."""
    raw = cm.get(MAX_PAYLOAD_KEY, "").strip()
    try:
        mb = float(raw) if raw else 0.0
    except ValueError:
        mb = 0.0
    return int(mb * 1024 * 1024) if mb > 0 else DEFAULT_MAX_PAYLOAD_BYTES


class WebhookState:
    """Per-app state of the route: the rate limiter and the short-lived settings cache."""

    def __init__(self, limiter: TokenBuckets, ttl: float = SETTINGS_TTL) -> None:
        self.limiter = limiter
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cached: tuple[float, WebhookSettings] | None = None

    def settings(self, ctx: ServerContext) -> WebhookSettings:
        now = time.monotonic()
        with self._lock:
            if self._cached and now - self._cached[0] < self.ttl:
                return self._cached[1]
        secret = ctx.settings.secret() or {}
        try:
            secrets = WebhookSecrets.from_secret_data(secret.get("data") or {})
        except ValueError as err:  # a key that is not base64: refuse signed providers rather than accept all
            log.error("argocd-secret: %s", err)
            raise
        settings = WebhookSettings(secrets, max_payload_bytes(ctx.settings.argocd_cm()))
        with self._lock:
            self._cached = (now, settings)
        return settings


def webhook_state(app: Any) -> WebhookState:
    state: WebhookState | None = getattr(app.state, "webhook", None)
    if state is None:
        state = WebhookState(TokenBuckets.from_env())
        app.state.webhook = state
    return state


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to exceed ``limit`` bytes (never buffering more)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def refresh_appsets(ctx: ServerContext, event: PushEvent) -> list[str]:
    """Ask the ApplicationSet controller to regenerate every set with a git generator on the pushed repo."""
    matchers = []
    for url in event.web_urls:
        try:
            matchers.append(web_url_regex(url))
        except URLError:
            continue
    try:
        appsets = ctx.kube.list_argo(ctx.namespace, "applicationsets").get("items") or []
    except KubeError as err:
        log.warning("webhook: could not list ApplicationSets: %s", err)
        return []
    refreshed = []
    for appset in appsets:
        hit = any(
            any(m.search(repo) for m in matchers)
            and revision_matches(rev, event.revision, event.touched_head)
            for repo, rev in git_sources(appset)
        )
        if not hit:
            continue
        name = str(appset["metadata"]["name"])
        patch = {"metadata": {"annotations": {APPSET_REFRESH_ANNOTATION: "true"}}}
        try:
            ctx.kube.patch_argo(ctx.namespace, "applicationsets", name, patch)
        except KubeError as err:
            if http_status(err) != 404:
                log.warning("webhook: could not refresh ApplicationSet %s: %s", name, err)
            continue
        refreshed.append(name)
    return refreshed


def refresh_matching(ctx: ServerContext, event: PushEvent) -> list[str]:
    """Set the refresh annotation on every Application ``event`` moves; their names, in list order.

    ApplicationSets whose git generators read the pushed repository are asked to regenerate
    afterwards, so the apps' own refresh is not delayed by it."""
    apps = ctx.kube.list_argo(ctx.namespace, "applications").get("items") or []
    refreshed = []
    for app in matching_apps(event, apps):
        meta = app.get("metadata") or {}
        name, namespace = str(meta.get("name") or ""), str(meta.get("namespace") or ctx.namespace)
        if (meta.get("annotations") or {}).get(REFRESH_ANNOTATION) == "hard":
            refreshed.append(name)  # a pending hard refresh already covers this push
            continue
        patch = {"metadata": {"annotations": {REFRESH_ANNOTATION: "normal"}}}
        try:
            ctx.kube.patch_argo(namespace, "applications", name, patch)
        except KubeError as err:
            if http_status(err) != 404:  # deleted meanwhile: nothing to refresh
                log.warning("webhook: could not refresh application %s/%s: %s", namespace, name, err)
            continue
        refreshed.append(name)
    refresh_appsets(ctx, event)
    return refreshed


def _utf8_header(value: str) -> str:
    """Header bytes as the provider meant them: UTF-8 (ASGI hands them over decoded as Latin-1).

    A GitLab token or Bitbucket UUID holding ``é`` arrives as two bytes; without
    this it would be compared as two wrong characters and never match.
    """
    raw = value.encode("latin-1", errors="ignore")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return value


def _text(status: int, message: str, **headers: str) -> PlainTextResponse:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers or None)


@router.post("/api/webhook")
async def receive_webhook(request: Request) -> PlainTextResponse:
    """Receive a Git provider's event; a push refreshes the Applications tracking the pushed ref."""
    state = webhook_state(request.app)
    client = request.client.host if request.client else ""
    if not state.limiter.allow(client):
        return _text(
            429,
            "too many webhook requests from this address; retry later",
            **{"Retry-After": str(state.limiter.retry_after())},
        )
    ctx: ServerContext = request.app.state.ctx
    try:
        settings = await run_in_threadpool(state.settings, ctx)
    except (KubeError, ValueError) as err:
        return _text(503, f"webhook settings unavailable: {err}")
    body = await read_capped(request, settings.max_payload_bytes)
    if body is None:
        return _text(
            413,
            f"payload exceeds the {settings.max_payload_bytes}-byte limit "
            f"(raise {MAX_PAYLOAD_KEY} in argocd-cm if this is a real push)",
        )
    headers = {k: _utf8_header(v) for k, v in request.headers.items()}
    # In a worker thread: hashing and parsing up to webhook.maxPayloadSizeMB must not stall the event loop.
    result = await run_in_threadpool(
        handle_webhook, headers, body, settings.secrets, max_payload_bytes=settings.max_payload_bytes
    )
    if result.status != 200:
        log.info("webhook refused (%d): %s", result.status, result.message)
        return _text(result.status, result.message)
    event = result.event
    if isinstance(event, PushEvent | IgnoredEvent):
        server_metrics(request.app).webhook_requests.labels(event.web_urls[0] if event.web_urls else "").inc()
    if not isinstance(event, PushEvent):
        return _text(200, f"{result.provider} event accepted; nothing to refresh")
    try:
        refreshed = await run_in_threadpool(refresh_matching, ctx, event)
    except KubeError as err:
        return _text(503, f"could not list applications: {err}")
    log.info(
        "webhook: %s push to %s %s refreshed %d application(s)",
        result.provider,
        ", ".join(event.web_urls),
        event.revision,
        len(refreshed),
    )
    # How many apps matched is logged, not answered: without a secret anyone may call this route.
    return _text(200, f"{result.provider} push accepted")
