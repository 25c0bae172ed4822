"""A small client of the OCI distribution API: tags, manifests, image configs.

What the updater needs and nothing more: ``GET /v2/<repo>/tags/list`` (following
``Link: <...>; rel="next"`` pages), ``GET /v2/<repo>/manifests/<ref>`` (OCI and
Docker v2 manifests and indexes) and the image config blob (its ``created``
date and platform). Authentication answers the registry's challenge: Basic, or
a Bearer token fetched from the ``realm`` with the credentials (kept per scope).
Each endpoint has its own rate limit (``limit`` requests/s, shared by all
threads); a ``429`` is retried after ``Retry-After``, a few times, then reported.

Every failure is a :class:`RegistryError` whose ``reason`` says which kind
(unreachable, unauthorized, not found, malformed, rate limited) so the
Application gets an Event and the metric a count; the message names the
registry and repository, never a credential.
"""

from __future__ import annotations

import hashlib
import json
import re
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from argosy.imageupdater.credentials import Credentials
from argosy.imageupdater.registries import Endpoint
from argosy.imageupdater.tags import EPOCH, ImageTag
from argosy.repo.errors import UrlNotAllowedError
from argosy.repo.urlpolicy import UrlPolicy

INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)
_ACCEPT = ", ".join(INDEX_TYPES + MANIFEST_TYPES)
_CHALLENGE = re.compile(r'(\w+)="([^"]*)"')
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
_RETRIES_429 = 3
PAGE_SIZE = 1000

#: Called after each request: (endpoint name, ok, seconds).
RequestHook = Callable[[str, bool, float], None]


class RegistryError(Exception):
    """A registry request failed; ``reason`` is one of the class constants."""

    UNREACHABLE = "unreachable"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not-found"
    MALFORMED = "malformed"
    RATE_LIMITED = "rate-limited"
    FAILED = "failed"

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class RateLimiter:
    """At most ``rate`` requests per second, spaced evenly, across threads."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str = ""

    @classmethod
    def parse(cls, text: str) -> Platform:
        parts = text.strip().split("/")
        if len(parts) < 2 or not all(parts[:2]):
            raise ValueError(f"platform {text!r}: expected os/architecture[/variant], e.g. linux/amd64")
        return cls(parts[0], parts[1], parts[2] if len(parts) > 2 else "")

    def accepts(self, os_: str, arch: str, variant: str) -> bool:
        return self.os == os_ and self.architecture == arch and (not self.variant or self.variant == variant)

    def __str__(self) -> str:
        return "/".join(p for p in (self.os, self.architecture, self.variant) if p)


def _verify(endpoint: Endpoint) -> ssl.SSLContext | bool:
    if endpoint.insecure:
        return False
    if endpoint.ca_cert:
        if endpoint.ca_cert.lstrip().startswith("-----BEGIN"):
            return ssl.create_default_context(cadata=endpoint.ca_cert)
        return ssl.create_default_context(cafile=endpoint.ca_cert)
    return True


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    value = re.sub(r"(\.\d{6})\d+", r"\1", text.strip()).replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=EPOCH.tzinfo)


class RegistryClient:
    """Requests to one registry endpoint with one set of credentials."""

    def __init__(
        self,
        endpoint: Endpoint,
        credentials: Credentials | None,
        limiter: RateLimiter,
        *,
        hook: RequestHook | None = None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        policy: UrlPolicy | None = None,
    ) -> None:
        self.endpoint = endpoint
        self._creds = credentials
        self._limiter = limiter
        self._hook = hook
        self._tokens: dict[str, str] = {}
        self._basic = False
        # Registries named by image references are tenant input: each request (redirects and
        # token realms included) passes the same URL policy as repository URLs.
        self._http = httpx.Client(
            verify=_verify(endpoint),
            timeout=timeout,
            follow_redirects=True,
            transport=transport,
            event_hooks={
                "request": [(policy or UrlPolicy.from_env()).httpx_hook(f"registry {endpoint.name}")]
            },
        )

    def close(self) -> None:
        self._http.close()

    # --- requests ------------------------------------------------------------------------------
    def _auth_headers(self, scope: str) -> dict[str, str]:
        if scope in self._tokens:
            return {"Authorization": f"Bearer {self._tokens[scope]}"}
        return {}

    def _send(self, method: str, url: str, headers: dict[str, str], auth: Any = None) -> httpx.Response:
        self._limiter.acquire()
        started = time.monotonic()
        ok = False
        try:
            resp = self._http.request(method, url, headers=headers, auth=auth)
            ok = resp.status_code < 400
            return resp
        except httpx.HTTPError as exc:
            raise RegistryError(
                RegistryError.UNREACHABLE, f"registry {self.endpoint.name}: {method} {url}: {exc}"
            ) from None
        except UrlNotAllowedError as exc:
            raise RegistryError(RegistryError.FAILED, str(exc)) from None
        finally:
            if self._hook is not None:
                self._hook(self.endpoint.name, ok, time.monotonic() - started)

    def _basic_auth(self) -> tuple[str, str] | None:
        return (self._creds.username, self._creds.password) if self._creds else None

    def _token(self, challenge: str, scope: str) -> None:
        params = dict(_CHALLENGE.findall(challenge))
        realm = params.get("realm", "")
        if not realm:
            raise RegistryError(RegistryError.UNAUTHORIZED, f"registry {self.endpoint.name}: no token realm")
        query = {"service": params.get("service", ""), "scope": params.get("scope") or scope}
        url = str(httpx.URL(realm).copy_merge_params({k: v for k, v in query.items() if v}))
        resp = self._send("GET", url, {}, auth=self._basic_auth())
        if resp.status_code != 200:
            raise RegistryError(
                RegistryError.UNAUTHORIZED,
                f"registry {self.endpoint.name}: token request answered {resp.status_code} "
                "(check the credentials or pull secret)",
            )
        try:
            body = resp.json()
        except ValueError:
            body = {}
        token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise RegistryError(RegistryError.UNAUTHORIZED, f"registry {self.endpoint.name}: no token")
        self._tokens[scope] = str(token)

    def get(self, path: str, repository: str, accept: str = "") -> httpx.Response:
        """GET ``path`` (absolute URL or API path), authenticating and retrying 429s."""
        url = path if "://" in path else f"{self.endpoint.api_url}{path}"
        scope = f"repository:{repository}:pull"
        headers = {"Accept": accept} if accept else {}
        attempts_429 = 0
        challenged = False
        while True:
            auth = self._basic_auth() if self._basic else None
            resp = self._send("GET", url, {**headers, **self._auth_headers(scope)}, auth=auth)
            if resp.status_code == 401 and not challenged:
                challenged = True
                challenge = resp.headers.get("www-authenticate", "")
                if challenge.lower().startswith("bearer"):
                    self._token(challenge, scope)
                    continue
                if challenge.lower().startswith("basic") and self._creds:
                    self._basic = True
                    continue
            if resp.status_code == 429 and attempts_429 < _RETRIES_429:
                attempts_429 += 1
                try:
                    wait = float(resp.headers.get("retry-after", "1"))
                except ValueError:
                    wait = 1.0
                time.sleep(min(max(wait, 0.1), 30.0))
                continue
            break
        what = f"registry {self.endpoint.name}: GET {url}"
        if resp.status_code in (401, 403):
            raise RegistryError(
                RegistryError.UNAUTHORIZED,
                f"{what}: {resp.status_code} (set a pull-secret or registries.conf credentials)",
            )
        if resp.status_code == 404:
            raise RegistryError(RegistryError.NOT_FOUND, f"{what}: 404 (no such repository or tag)")
        if resp.status_code == 429:
            raise RegistryError(
                RegistryError.RATE_LIMITED, f"{what}: 429 rate limited (retried {attempts_429} times)"
            )
        if resp.status_code >= 400:
            raise RegistryError(RegistryError.FAILED, f"{what}: HTTP {resp.status_code}")
        return resp

    def _json(self, resp: httpx.Response, what: str) -> dict[str, Any]:
        try:
            body = resp.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise RegistryError(
                RegistryError.MALFORMED, f"registry {self.endpoint.name}: {what}: not a JSON object"
            )
        return body

    # --- API -----------------------------------------------------------------------------------
    def tags(self, repository: str) -> list[str]:
        """Every tag of ``repository``, following pagination."""
        out: list[str] = []
        path: str | None = f"/v2/{repository}/tags/list?n={PAGE_SIZE}"
        while path:
            resp = self.get(path, repository)
            body = self._json(resp, f"tags of {repository}")
            tags = body.get("tags") or []
            if not isinstance(tags, list):
                raise RegistryError(RegistryError.MALFORMED, f"tags of {repository}: 'tags' is not a list")
            out.extend(str(t) for t in tags)
            m = _NEXT.search(resp.headers.get("link", ""))
            path = str(resp.url.join(m.group(1))) if m else None
        return out

    def manifest(self, repository: str, reference: str) -> tuple[dict[str, Any], str]:
        """(manifest or index, its digest)."""
        resp = self.get(f"/v2/{repository}/manifests/{reference}", repository, _ACCEPT)
        body = self._json(resp, f"manifest {repository}:{reference}")
        digest = resp.headers.get("docker-content-digest") or (
            "sha256:" + hashlib.sha256(resp.content).hexdigest()
        )
        kind = body.get("mediaType") or resp.headers.get("content-type", "").split(";")[0]
        if kind not in INDEX_TYPES + MANIFEST_TYPES and not ("manifests" in body or "config" in body):
            raise RegistryError(
                RegistryError.MALFORMED,
                f"manifest {repository}:{reference}: unsupported media type {kind or '(none)'}",
            )
        body.setdefault("mediaType", kind)
        return body, digest

    def _config(self, repository: str, manifest: dict[str, Any], what: str) -> dict[str, Any]:
        config = manifest.get("config")
        if not isinstance(config, dict) or not config.get("digest"):
            raise RegistryError(RegistryError.MALFORMED, f"{what}: the manifest has no config")
        resp = self.get(f"/v2/{repository}/blobs/{config['digest']}", repository)
        try:
            return dict(json.loads(resp.content))
        except (ValueError, TypeError):
            raise RegistryError(RegistryError.MALFORMED, f"{what}: the image config is not JSON") from None

    def tag_info(self, repository: str, tag: str, platforms: tuple[Platform, ...]) -> ImageTag | None:
        """``tag`` with its digest and creation date; None when no image of it runs on ``platforms``.

        For an index, the date is the newest among the platform images considered.
        """
        what = f"{repository}:{tag}"
        manifest, digest = self.manifest(repository, tag)
        created: datetime | None = None
        if manifest.get("mediaType") in INDEX_TYPES or "manifests" in manifest:
            entries = manifest.get("manifests")
            if not isinstance(entries, list):
                raise RegistryError(RegistryError.MALFORMED, f"{what}: the index has no manifests list")
            wanted = []
            for entry in entries:
                p = entry.get("platform") or {} if isinstance(entry, dict) else {}
                os_, arch, variant = (str(p.get(k) or "") for k in ("os", "architecture", "variant"))
                if not platforms or any(w.accepts(os_, arch, variant) for w in platforms):
                    wanted.append(entry)
            if not wanted:
                return None
            for entry in wanted:
                sub, _ = self.manifest(repository, str(entry.get("digest")))
                when = _parse_time(self._config(repository, sub, what).get("created"))
                if when and (created is None or when > created):
                    created = when
        else:
            config = self._config(repository, manifest, what)
            os_, arch, variant = (str(config.get(k) or "") for k in ("os", "architecture", "variant"))
            if platforms and not any(w.accepts(os_, arch, variant) for w in platforms):
                return None
            created = _parse_time(config.get("created"))
        return ImageTag(tag, created or EPOCH, digest)
