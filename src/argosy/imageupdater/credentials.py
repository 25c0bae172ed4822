"""Registry credentials, in the four forms of Argo CD Image Updater.

* ``pullsecret:<namespace>/<name>``: a ``kubernetes.io/dockerconfigjson`` Secret
  (the entry of the registry's host is used);
* ``secret:<namespace>/<name>#<field>``: a Secret field holding ``user:password``;
* ``env:<VARIABLE>``: an environment variable of the updater holding ``user:password``;
* ``ext:<path>``: an executable printing ``user:password`` on its first line.

Secrets are read through the settings' one reader (:func:`argosy.settings.secrets.secret_text`).
Values are cached per credential reference for ``credsexpire`` (or the current
cycle), and never logged: errors name the reference, not the value.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from argosy.settings.secrets import SecretDataError, secret_text

#: Reads a Secret (namespace, name) -> the object, or None when it does not exist.
SecretReader = Callable[[str, str], Mapping[str, Any] | None]


class CredentialsError(ValueError):
    """A credential reference cannot be resolved; the text names the reference, never a value."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never print the password
        return f"Credentials(username={self.username!r})"


def _user_pass(text: str, where: str) -> Credentials:
    user, sep, password = text.strip().partition(":")
    if not sep:
        raise CredentialsError(f"{where}: the value is not 'username:password'")
    return Credentials(user, password)


def _ns_name(ref: str, where: str) -> tuple[str, str]:
    namespace, sep, name = ref.partition("/")
    if not sep or not namespace or not name:
        raise CredentialsError(f"{where}: expected <namespace>/<name>")
    return namespace, name


def _host(key: str) -> str:
    key = key.strip()
    if "://" in key:
        return urlsplit(key).netloc
    return key.split("/", 1)[0]


def _from_docker_config(data: Mapping[str, str], registry: str, where: str) -> Credentials:
    raw = data.get(".dockerconfigjson") or data.get(".dockercfg")
    if raw is None:
        raise CredentialsError(
            f"{where}: no .dockerconfigjson key (is it a kubernetes.io/dockerconfigjson Secret?)"
        )
    try:
        doc = json.loads(raw)
    except ValueError:
        raise CredentialsError(f"{where}: .dockerconfigjson is not JSON") from None
    auths = doc.get("auths", doc) if isinstance(doc, dict) else {}
    wanted = (
        {registry, "docker.io", "index.docker.io", "registry-1.docker.io"}
        if registry
        in (
            "",
            "docker.io",
        )
        else {registry}
    )
    for key, entry in (auths or {}).items():
        if _host(str(key)) not in wanted or not isinstance(entry, dict):
            continue
        if entry.get("auth"):
            try:
                decoded = base64.b64decode(str(entry["auth"])).decode()
            except (ValueError, UnicodeDecodeError):
                raise CredentialsError(f"{where}: the 'auth' of {key} is not base64") from None
            return _user_pass(decoded, f"{where} ({key})")
        return Credentials(str(entry.get("username") or ""), str(entry.get("password") or ""))
    raise CredentialsError(f"{where}: no credentials for registry {registry or 'docker.io'}")


class CredentialResolver:
    """Resolves references, caching each for its lifetime (``credsexpire``, or until :meth:`new_cycle`)."""

    def __init__(self, read_secret: SecretReader, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._read = read_secret
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[Credentials, float]] = {}

    def new_cycle(self) -> None:
        """Forget credentials that have no ``credsexpire`` (they are read once per cycle)."""
        self._cache = {k: v for k, v in self._cache.items() if v[1] != 0.0}

    def resolve(self, reference: str, registry: str, expire_seconds: float = 0.0) -> Credentials | None:
        if not reference:
            return None
        key = (reference, registry)
        cached = self._cache.get(key)
        now = self._clock()
        if cached and (cached[1] == 0.0 or cached[1] > now):
            return cached[0]
        creds = self._fetch(reference, registry)
        self._cache[key] = (creds, now + expire_seconds if expire_seconds else 0.0)
        return creds

    def _secret(self, ref: str, where: str) -> dict[str, str]:
        namespace, name = _ns_name(ref, where)
        secret = self._read(namespace, name)
        if secret is None:
            raise CredentialsError(f"{where}: Secret {namespace}/{name} not found")
        try:
            return secret_text(secret, what=f"Secret {namespace}/{name}")
        except SecretDataError as exc:
            raise CredentialsError(f"{where}: {exc}") from None

    def _fetch(self, reference: str, registry: str) -> Credentials:
        kind, sep, rest = reference.partition(":")
        where = f"credentials {reference!r}"
        if not sep:
            raise CredentialsError(f"{where}: use pullsecret:, secret:, env: or ext:")
        if kind == "pullsecret":
            return _from_docker_config(self._secret(rest, where), registry, where)
        if kind == "secret":
            ref, hashsign, field = rest.partition("#")
            if not hashsign or not field:
                raise CredentialsError(f"{where}: expected secret:<namespace>/<name>#<field>")
            data = self._secret(ref, where)
            if field not in data:
                raise CredentialsError(f"{where}: the Secret has no field {field!r}")
            return _user_pass(data[field], where)
        if kind == "env":
            value = os.environ.get(rest)
            if value is None:
                raise CredentialsError(f"{where}: environment variable {rest} is not set")
            return _user_pass(value, where)
        if kind == "ext":
            if not os.path.isabs(rest):
                raise CredentialsError(f"{where}: the script path must be absolute")
            try:
                out = subprocess.run([rest], capture_output=True, text=True, timeout=30, check=False)
            except OSError as exc:
                raise CredentialsError(f"{where}: cannot run the script: {exc.strerror}") from None
            except subprocess.TimeoutExpired:
                raise CredentialsError(f"{where}: the script did not finish in 30s") from None
            if out.returncode != 0:
                raise CredentialsError(f"{where}: the script exited with {out.returncode}")
            return _user_pass(out.stdout.splitlines()[0] if out.stdout else "", where)
        raise CredentialsError(f"{where}: unknown kind {kind!r}: use pullsecret:, secret:, env: or ext:")
