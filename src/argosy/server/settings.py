"""Reading the server's settings objects from the control-plane namespace, fresh on every request.

``argocd-cm``, ``argocd-secret``, ``argocd-rbac-cm`` and
``argocd-cmd-params-cm`` are read from Kubernetes when a request needs them,
so an edit (a new account, an RBAC line, a revoked token) takes effect on the
next request in every replica. Parsed results (the RBAC enforcer) are reused
while the object's ``resourceVersion`` is unchanged.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from argosy.appset.events import namespace_allowed
from argosy.appstate.settings import app_namespace_enabled, listed_app_namespaces
from argosy.engine.durations import DurationError, parse_seconds
from argosy.kube.errors import KubeError, http_status
from argosy.server.auth.accounts import Account, parse_accounts
from argosy.server.errors import INTERNAL, APIError, from_kube
from argosy.server.kubeapi import KubeAPI
from argosy.server.rbac import Enforcer, PolicyError, RBACConfig, config_from_data
from argosy.settings.secrets import secret_text

CM = "argocd-cm"
SECRET = "argocd-secret"
RBAC_CM = "argocd-rbac-cm"
CMD_PARAMS_CM = "argocd-cmd-params-cm"
SIGNING_KEY = "server.secretkey"
DEFAULT_SESSION_SECONDS = 24 * 3600
PART_OF_LABEL = "app.kubernetes.io/part-of"
log = logging.getLogger(__name__)


def decode_secret(secret: Mapping[str, Any] | None) -> dict[str, str]:
    """``argocd-secret`` values as text; an undecodable one is logged and left out."""
    return secret_text(secret, what=f"Secret {SECRET!r}", strict=False)


def secret_bytes(secret: Mapping[str, Any] | None, key: str) -> bytes:
    raw = ((secret or {}).get("data") or {}).get(key)
    return base64.b64decode(raw) if raw else b""


class Settings:
    """Live access to the settings objects of one control-plane namespace."""

    def __init__(self, kube: KubeAPI, namespace: str) -> None:
        self.kube = kube
        self.namespace = namespace
        self._lock = threading.Lock()
        self._rbac_cache: tuple[str, RBACConfig, Enforcer] | None = None

    # -- raw objects -----------------------------------------------------------
    def configmap(self, name: str) -> dict[str, Any] | None:
        return self.kube.get(self.namespace, "configmaps", name)

    def configmap_data(self, name: str) -> dict[str, str]:
        cm = self.configmap(name) or {}
        return {str(k): str(v) for k, v in (cm.get("data") or {}).items() if v is not None}

    def argocd_cm(self) -> dict[str, str]:
        return self.configmap_data(CM)

    def secret(self) -> dict[str, Any] | None:
        return self.kube.get(self.namespace, "secrets", SECRET)

    def secret_value(self, name: str, key: str) -> str | None:
        """A value a ``$key`` / ``$name:key`` reference in ``argocd-cm`` points to, None when absent.

        As in Argo CD, a Secret other than ``argocd-secret`` is only read when it
        is labelled ``app.kubernetes.io/part-of: argocd``, so a reference cannot
        reach any Secret of the namespace.
        """
        if name == SECRET:
            return decode_secret(self.secret()).get(key)
        obj = self.kube.get(self.namespace, "secrets", name)
        labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
        if obj is None or labels.get(PART_OF_LABEL) != "argocd":
            return None
        return secret_text(obj, what=f"Secret {name!r}", strict=False).get(key)

    def signing_key(self) -> bytes:
        key = secret_bytes(self.secret(), SIGNING_KEY)
        if not key:
            raise APIError(
                INTERNAL,
                f"Secret {SECRET} in namespace {self.namespace} has no '{SIGNING_KEY}': "
                "restart the server so it generates one",
            )
        return key

    # -- parsed ------------------------------------------------------------------
    def accounts(self) -> dict[str, Account]:
        return parse_accounts(self.argocd_cm(), decode_secret(self.secret()))

    def session_duration(self) -> int:
        """``users.session.duration`` in seconds (default 24 h); a bad value is logged, not fatal."""
        text = self.argocd_cm().get("users.session.duration", "").strip()
        if not text:
            return DEFAULT_SESSION_SECONDS
        try:
            seconds = int(parse_seconds(text))
        except DurationError as exc:
            log.warning("argocd-cm key 'users.session.duration': %s; using 24h", exc)
            return DEFAULT_SESSION_SECONDS
        return seconds if seconds > 0 else DEFAULT_SESSION_SECONDS

    def app_namespace_enabled(self, namespace: str) -> bool:
        """Whether the API serves Applications of ``namespace`` (its own, or ``application.namespaces``)."""
        if namespace == self.namespace:
            return True
        patterns = listed_app_namespaces(self.argocd_cm(), self.configmap_data(CMD_PARAMS_CM))
        return app_namespace_enabled(namespace, self.namespace, patterns)

    def appset_namespace_enabled(self, namespace: str) -> bool:
        """Whether the API serves ApplicationSets of ``namespace`` (its own, or
        ``applicationsetcontroller.namespaces``, as the ApplicationSet controller reads it)."""
        if namespace == self.namespace:
            return True
        listed = self.configmap_data(CMD_PARAMS_CM).get("applicationsetcontroller.namespaces", "")
        return namespace_allowed(namespace, [n.strip() for n in listed.split(",") if n.strip()])

    def rbac(self) -> tuple[RBACConfig, Enforcer]:
        """The enforcer for the current ``argocd-rbac-cm``, rebuilt only when it changed.

        A policy that does not parse is refused as a whole (every check
        denies, except what the built-in policy allows) and named in the error log,
        rather than half-loaded.
        """
        cm = self.configmap(RBAC_CM) or {}
        version = str((cm.get("metadata") or {}).get("resourceVersion") or "")
        with self._lock:
            if self._rbac_cache and self._rbac_cache[0] == version:
                return self._rbac_cache[1], self._rbac_cache[2]
        config = config_from_data(cm.get("data") or {})
        for warning in config.warnings:  # once per version of the ConfigMap
            log.warning("argocd-rbac-cm: %s", warning)
        try:
            enforcer = Enforcer.from_config(config)
        except PolicyError as err:
            log.error("argocd-rbac-cm refused, using built-in policy only: %s", err)
            enforcer = Enforcer("", default_role="")
        with self._lock:
            self._rbac_cache = (version, config, enforcer)
        return config, enforcer

    # -- writes --------------------------------------------------------------------
    def update_secret(self, mutate: Callable[[dict[str, str]], None], attempts: int = 10) -> None:
        """Read-modify-write ``argocd-secret`` string data, retrying on conflicts with other replicas."""
        for _ in range(attempts):
            secret = self.secret()
            if secret is None:
                raise APIError(INTERNAL, f"Secret {SECRET} in namespace {self.namespace} is missing")
            data = dict(secret.get("data") or {})
            decoded = decode_secret(secret)
            before = dict(decoded)
            mutate(decoded)
            for key in set(before) | set(decoded):
                if key not in decoded:
                    data.pop(key, None)
                elif before.get(key) != decoded[key]:
                    data[key] = base64.b64encode(decoded[key].encode("utf-8")).decode("ascii")
            secret["data"] = data
            try:
                self.kube.replace(self.namespace, "secrets", secret)
                return
            except KubeError as err:
                if http_status(err) != 409:
                    raise from_kube(err, f"Secret {SECRET}") from None
                time.sleep(0.05)
        raise APIError(INTERNAL, f"Secret {SECRET}: too many concurrent updates, retry the request")
