"""Registry endpoints, configured as Argo CD Image Updater's ``registries.conf``.

The file (key ``registries.conf`` of the ConfigMap ``argocd-image-updater-config``
in the control-plane namespace, or ``--registries-conf-path``) lists::

    registries:
    - name: Local
      prefix: 127.0.0.1:5000            # the registry part of image references
      api_url: http://127.0.0.1:5000    # where the distribution API answers (http:// = plain)
      credentials: secret:argocd/reg#creds   # or pullsecret:ns/name, env:VAR, ext:/path
      credsexpire: 2h                   # re-read credentials after this long
      defaultns: library                # namespace added to one-element names
      default: true                     # the endpoint of references without registry
      insecure: yes                     # skip TLS verification
      limit: 20                         # requests per second (default 20)

A registry that is not listed is reached at ``https://<prefix>``; references
without registry go to the ``default: true`` entry, or Docker Hub
(``registry-1.docker.io``, namespace ``library``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from argosy.engine import durations
from argosy.imageupdater.reference import DOCKER_HUB, ImageRef

CONFIGMAP = "argocd-image-updater-config"
CONFIG_KEY = "registries.conf"
DEFAULT_LIMIT = 20.0


class RegistryConfigError(ValueError):
    """``registries.conf`` cannot be read; the text names the entry and the field."""


@dataclass(frozen=True)
class Endpoint:
    name: str
    prefix: str
    api_url: str
    credentials: str = ""
    creds_expire_seconds: float = 0.0
    default_ns: str = ""
    default: bool = False
    insecure: bool = False
    limit: float = DEFAULT_LIMIT
    ca_cert: str = ""

    def repository(self, ref: ImageRef) -> str:
        """The repository path at this endpoint (``library/`` added where the endpoint says)."""
        name = ref.name
        if self.default_ns and "/" not in name:
            name = f"{self.default_ns}/{name}"
        return name


DOCKER_HUB_ENDPOINT = Endpoint(
    name="Docker Hub",
    prefix=DOCKER_HUB,
    api_url="https://registry-1.docker.io",
    default_ns="library",
    default=True,
)


def parse_duration(text: str) -> float:
    """Go durations (``2h``, ``90s``, ``1h30m``) in seconds, read by the one duration parser.

    A negative length means nothing for an interval or a credentials expiry, so it is refused.
    """
    seconds = durations.parse_go_duration(text).total_seconds()
    if seconds < 0:
        raise ValueError(f"{text!r} is negative; write a duration like 2h, 30m or 90s")
    return seconds


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("yes", "true", "1", "on")


def _entry(raw: Mapping[str, Any], index: int) -> Endpoint:
    where = f"registries.conf entry {index + 1} ({raw.get('name') or raw.get('prefix') or '?'})"
    prefix = str(raw.get("prefix") or "").strip()
    api_url = str(raw.get("api_url") or "").strip().rstrip("/")
    if not prefix and not _bool(raw.get("default")):
        raise RegistryConfigError(f"{where}: 'prefix' is required")
    if not api_url:
        raise RegistryConfigError(f"{where}: 'api_url' is required (e.g. https://{prefix or 'registry'})")
    if not api_url.startswith(("http://", "https://")):
        raise RegistryConfigError(f"{where}: api_url {api_url!r} must start with https:// or http://")
    try:
        expire = parse_duration(str(raw["credsexpire"])) if raw.get("credsexpire") else 0.0
    except ValueError as exc:
        raise RegistryConfigError(f"{where}: credsexpire: {exc}") from None
    try:
        limit = float(raw.get("limit") or DEFAULT_LIMIT)
    except (TypeError, ValueError):
        raise RegistryConfigError(f"{where}: limit {raw.get('limit')!r} is not a number") from None
    if limit <= 0:
        raise RegistryConfigError(f"{where}: limit must be above 0 (requests per second)")
    return Endpoint(
        name=str(raw.get("name") or prefix),
        prefix=prefix,
        api_url=api_url,
        credentials=str(raw.get("credentials") or ""),
        creds_expire_seconds=expire,
        default_ns=str(raw.get("defaultns") or ""),
        default=_bool(raw.get("default")),
        insecure=_bool(raw.get("insecure")),
        limit=limit,
        ca_cert=str(raw.get("ca") or raw.get("cacert") or ""),
    )


class Registries:
    """The configured endpoints and the lookup of an image's endpoint."""

    def __init__(self, endpoints: Sequence[Endpoint] = ()) -> None:
        self.endpoints = list(endpoints)

    @classmethod
    def parse(cls, text: str) -> Registries:
        if not text.strip():
            return cls()
        try:
            doc = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise RegistryConfigError(f"registries.conf is not YAML: {exc}") from None
        entries = doc.get("registries") if isinstance(doc, dict) else None
        if entries is None:
            return cls()
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise RegistryConfigError("registries.conf: 'registries' must be a list of mappings")
        endpoints = [_entry(e, i) for i, e in enumerate(entries)]
        if sum(e.default for e in endpoints) > 1:
            raise RegistryConfigError("registries.conf: only one entry may be 'default: true'")
        return cls(endpoints)

    def for_image(self, ref: ImageRef) -> Endpoint:
        registry = ref.registry
        if not registry:
            configured = [e for e in self.endpoints if e.default] or [
                e for e in self.endpoints if e.prefix == DOCKER_HUB
            ]
            return configured[0] if configured else DOCKER_HUB_ENDPOINT
        for endpoint in self.endpoints:
            if endpoint.prefix == registry:
                return endpoint
        if registry == DOCKER_HUB:
            return DOCKER_HUB_ENDPOINT
        return Endpoint(name=registry, prefix=registry, api_url=f"https://{registry}")
