"""From an image and its settings to the tag to deploy, reading the registry as little as possible.

* The tag list of a repository is read once per cycle, however many
  Applications watch it (:meth:`Scanner.new_cycle` starts a cycle).
* A tag's metadata (digest, creation date, platforms) is read only when the
  strategy needs it (``newest-build``, ``digest``) or ``platforms`` is set, and
  kept between cycles except for ``digest`` (a mutable tag moves).
* One rate limiter and one client per registry endpoint (and credentials).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from argosy.imageupdater.client import Platform, RateLimiter, RegistryClient, RegistryError, RequestHook
from argosy.imageupdater.config import UpdateSettings
from argosy.imageupdater.credentials import CredentialResolver, Credentials
from argosy.imageupdater.reference import ImageRef
from argosy.imageupdater.registries import Endpoint, Registries
from argosy.imageupdater.strategy import (
    Selection,
    SelectionError,
    newest_tag,
    parse_allow_tags,
    parse_strategy,
)
from argosy.imageupdater.tags import ImageTag, TagList


def selection_for(ref: ImageRef, settings: UpdateSettings) -> Selection:
    """The strategy, constraint (the reference's tag) and filters of one image; raises on bad settings."""
    selection = Selection(
        strategy=parse_strategy(settings.update_strategy or ""),
        constraint=ref.tag or "",
        allow=parse_allow_tags(settings.allow_tags),
        ignore=tuple(settings.ignore_tags or ()),
    )
    selection.validate()
    return selection


def platforms_of(settings: UpdateSettings) -> tuple[Platform, ...]:
    try:
        return tuple(Platform.parse(p) for p in settings.platforms or ())
    except ValueError as exc:
        raise SelectionError(str(exc)) from None


@dataclass(frozen=True)
class Found:
    """The chosen tag (None: nothing qualifies) and where it came from."""

    tag: ImageTag | None
    endpoint: Endpoint
    repository: str


class Scanner:
    def __init__(
        self,
        registries: Registries,
        resolver: CredentialResolver,
        *,
        hook: RequestHook | None = None,
        client_factory: Callable[[Endpoint, Credentials | None, RateLimiter], RegistryClient] | None = None,
    ) -> None:
        self.registries = registries
        self.resolver = resolver
        self._hook = hook
        self._factory = client_factory or (lambda e, c, lim: RegistryClient(e, c, lim, hook=self._hook))
        self._lock = threading.Lock()
        self._limiters: dict[str, RateLimiter] = {}
        self._clients: dict[tuple[str, str, str], RegistryClient] = {}
        self._lists: dict[tuple[str, str, str], list[str] | RegistryError] = {}
        self._list_locks: dict[tuple[str, str, str], threading.Lock] = {}
        self._meta: dict[tuple[str, str, str, tuple[Platform, ...]], ImageTag | None] = {}

    def new_cycle(self) -> None:
        with self._lock:
            self._lists.clear()
        self.resolver.new_cycle()

    def close(self) -> None:
        for client in self._clients.values():
            client.close()

    def _client(self, endpoint: Endpoint, reference: str) -> RegistryClient:
        creds = self.resolver.resolve(reference, endpoint.prefix, endpoint.creds_expire_seconds)
        key = (endpoint.api_url, reference, creds.username if creds else "")
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                limiter = self._limiters.setdefault(endpoint.api_url, RateLimiter(endpoint.limit))
                client = self._clients[key] = self._factory(endpoint, creds, limiter)
            return client

    def _tag_names(self, client: RegistryClient, repository: str, credentials: str) -> list[str]:
        # Keyed by credentials too: a 401 without a pull secret must not answer an app that has one.
        key = (client.endpoint.api_url, repository, credentials)
        with self._lock:
            lock = self._list_locks.setdefault(key, threading.Lock())
        with lock:  # concurrent apps watching one image wait for one request
            cached = self._lists.get(key)
            if cached is None:
                try:
                    cached = client.tags(repository)
                except RegistryError as exc:
                    cached = exc
                self._lists[key] = cached
        if isinstance(cached, RegistryError):
            raise cached
        return cached

    def _info(
        self, client: RegistryClient, repository: str, tag: str, platforms: tuple[Platform, ...], cache: bool
    ) -> ImageTag | None:
        key = (client.endpoint.api_url, repository, tag, platforms)
        if cache and key in self._meta:
            return self._meta[key]
        info = client.tag_info(repository, tag, platforms)
        if cache:
            self._meta[key] = info
        return info

    def newest(self, ref: ImageRef, settings: UpdateSettings) -> Found:
        """The tag to deploy for ``ref`` (an image-list entry) under ``settings``."""
        selection = selection_for(ref, settings)
        platforms = platforms_of(settings)
        endpoint = self.registries.for_image(ref)
        repository = endpoint.repository(ref)
        reference = settings.pull_secret or endpoint.credentials
        client = self._client(endpoint, reference)
        names = [n for n in self._tag_names(client, repository, reference) if selection.considered(n)]
        strategy = selection.strategy
        if strategy.needs_metadata:
            infos = [self._info(client, repository, n, platforms, strategy.cacheable) for n in names]
            return Found(newest_tag(selection, TagList(i for i in infos if i)), endpoint, repository)
        remaining = TagList(ImageTag(n) for n in names)
        while True:
            best = newest_tag(selection, remaining)
            if best is None or not platforms:
                return Found(best, endpoint, repository)
            if self._info(client, repository, best.name, platforms, True) is not None:
                return Found(best, endpoint, repository)
            remaining = TagList(t for t in remaining if t.name != best.name)
