"""Generator plugins: parameter sets answered by an HTTP service the user runs.

As Argo CD: ``plugin.configMapRef.name`` names a ConfigMap of the control-plane
namespace with ``baseUrl`` and ``token`` (``$<key>`` reads that key of
``argocd-secret``, ``$<secret>:<key>`` a key of another Secret), optionally
``requestTimeout`` (seconds, default 30). The controller POSTs
``{"applicationSetName": ..., "input": {"parameters": {...}}}`` to
``<baseUrl>/api/v1/getparams.execute`` with ``Authorization: Bearer <token>``
and reads ``{"output": {"parameters": [{...}, ...]}}``. The token is sent only
to that URL and never appears in messages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from argosy.appset.generators.context import GeneratorError
from argosy.settings.secrets import SecretDataError, secret_key

ARGOCD_SECRET = "argocd-secret"


class HttpPlugins:
    """:class:`~argosy.appset.generators.context.PluginSource` over HTTP, configured by ConfigMaps."""

    def __init__(
        self,
        configmap: Callable[[str], Mapping[str, Any] | None],
        secret: Callable[[str], Mapping[str, Any] | None],
    ) -> None:
        self._configmap = configmap
        self._secret = secret

    def _token(self, ref: str, where: str) -> str:
        if not ref.startswith("$"):
            return ref
        name, _, key = ref[1:].partition(":")
        if not key:
            name, key = ARGOCD_SECRET, name
        try:
            return secret_key(self._secret(name), name, key)
        except SecretDataError as exc:
            raise GeneratorError(f"{where}: token {ref!r}: {exc}") from None

    def call(self, configmap: str, parameters: Mapping[str, Any], appset_name: str) -> list[dict[str, Any]]:
        where = f"plugin generator (ConfigMap {configmap!r})"
        cm = self._configmap(configmap)
        if cm is None:
            raise GeneratorError(f"{where}: the ConfigMap does not exist in the control-plane namespace")
        data = cm.get("data") or {}
        base = str(data.get("baseUrl") or "").rstrip("/")
        if not base:
            raise GeneratorError(f"{where}: key 'baseUrl' is required")
        token = self._token(str(data.get("token") or ""), where)
        try:
            timeout = float(data.get("requestTimeout") or 30)
        except ValueError:
            raise GeneratorError(f"{where}: requestTimeout must be a number of seconds") from None
        body = {"applicationSetName": appset_name, "input": {"parameters": dict(parameters)}}
        url = f"{base}/api/v1/getparams.execute"
        try:
            resp = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=timeout)
        except httpx.HTTPError as exc:
            raise GeneratorError(f"{where}: POST {url} failed: {type(exc).__name__}") from None
        if resp.status_code != 200:
            raise GeneratorError(
                f"{where}: POST {url} answered {resp.status_code}; check the plugin and its token"
            )
        try:
            answer = resp.json()
            params = answer["output"]["parameters"]
        except (ValueError, KeyError, TypeError):
            raise GeneratorError(
                f"{where}: the answer of {url} is not {{'output': {{'parameters': [...]}}}}"
            ) from None
        if not isinstance(params, list) or not all(isinstance(p, dict) for p in params):
            raise GeneratorError(f"{where}: output.parameters of {url} must be a list of objects")
        return params
