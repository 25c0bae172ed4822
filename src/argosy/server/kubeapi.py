"""The server's view of the control-plane cluster: plain JSON objects over the Kubernetes REST API.

All the server's state (settings, accounts, tokens, applications, projects,
cluster and repository Secrets) lives in Kubernetes, so any number of server
replicas can run side by side. Objects travel as dicts exactly as the API
returns them; Secret ``data`` stays base64 as stored.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

from kubernetes import client, config, watch
from kubernetes.client.exceptions import ApiException

from argosy.server.errors import ALREADY_EXISTS, INTERNAL, INVALID_ARGUMENT, NOT_FOUND, APIError

GROUP = "argoproj.io"
VERSION = "v1alpha1"

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


class KubeError(Exception):
    """A Kubernetes API call failed; ``status`` is the HTTP status (404, 409, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def to_api_error(self, what: str) -> APIError:
        """Translate to the API's error for the object ``what`` (e.g. "application 'web'")."""
        if self.status == 404:
            return APIError(NOT_FOUND, f"{what} not found")
        if self.status == 409:
            return APIError(
                ALREADY_EXISTS, f"{what}: {self.message} (re-read the object and retry)", http_status=409
            )
        if self.status in (400, 422):
            return APIError(INVALID_ARGUMENT, f"{what}: {self.message}")
        return APIError(INTERNAL, f"{what}: Kubernetes API error {self.status}: {self.message}")


def load_api_client(kubeconfig: str | Path | None = None, context: str | None = None) -> Any:
    """An API client from ``kubeconfig``, else in-cluster config, else the current kubeconfig context."""
    if kubeconfig:
        return config.new_client_from_config(config_file=str(kubeconfig), context=context)  # type: ignore[no-untyped-call]
    try:
        cfg = client.Configuration()
        config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
        return client.ApiClient(cfg)
    except config.ConfigException:
        return config.new_client_from_config(context=context)  # type: ignore[no-untyped-call]


def b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def secret_value(secret: Mapping[str, Any] | None, key: str) -> str | None:
    """A decoded Secret value (``data`` or ``stringData``), None when absent."""
    if not secret:
        return None
    string_data = secret.get("stringData") or {}
    if key in string_data:
        return str(string_data[key])
    raw = (secret.get("data") or {}).get(key)
    if raw is None:
        return None
    try:
        return base64.b64decode(raw).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


class KubeAPI:
    """Thin, typed-enough access to the few resources the server reads and writes."""

    def __init__(self, api_client: Any) -> None:
        self.api_client = api_client
        self._custom = client.CustomObjectsApi(api_client)

    # -- generic REST ------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        req = self.api_client.param_serialize(
            method, path, query_params=params, header_params=headers, body=body, auth_settings=["BearerToken"]
        )
        try:
            resp = self.api_client.call_api(*req, _request_timeout=30)
            data = resp.read()
        except ApiException as err:
            raise KubeError(err.status or 503, _api_message(err)) from None
        except OSError as err:
            raise KubeError(503, f"control plane unreachable: {err}") from None
        if not 200 <= resp.status <= 299:
            raise KubeError(resp.status, _message_of(data, str(resp.reason or "")))
        return json.loads(data) if data else {}

    @staticmethod
    def _core_path(namespace: str, plural: str, name: str = "") -> str:
        base = f"/api/v1/namespaces/{quote(namespace, safe='')}/{plural}"
        return f"{base}/{quote(name, safe='')}" if name else base

    @staticmethod
    def _argo_path(namespace: str, plural: str, name: str = "") -> str:
        base = f"/apis/{GROUP}/{VERSION}/namespaces/{quote(namespace, safe='')}/{plural}"
        return f"{base}/{quote(name, safe='')}" if name else base

    # -- core objects --------------------------------------------------------
    def get(self, namespace: str, plural: str, name: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", self._core_path(namespace, plural, name))
        except KubeError as err:
            if err.status == 404:
                return None
            raise

    def list(
        self, namespace: str, plural: str, label_selector: str = "", **query: str
    ) -> list[dict[str, Any]]:
        params = dict(query)
        if label_selector:
            params["labelSelector"] = label_selector
        out = self.request("GET", self._core_path(namespace, plural), query=params)
        items: list[dict[str, Any]] = out.get("items") or []
        return items

    def create(self, namespace: str, plural: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", self._core_path(namespace, plural), body=dict(obj))

    def replace(self, namespace: str, plural: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        name = str(obj["metadata"]["name"])
        return self.request("PUT", self._core_path(namespace, plural, name), body=dict(obj))

    def patch(
        self, namespace: str, plural: str, name: str, patch: Any, content_type: str = MERGE_PATCH
    ) -> dict[str, Any]:
        return self.request(
            "PATCH", self._core_path(namespace, plural, name), body=patch, content_type=content_type
        )

    def delete(self, namespace: str, plural: str, name: str) -> None:
        self.request("DELETE", self._core_path(namespace, plural, name))

    # -- argoproj.io objects ---------------------------------------------------
    def get_argo(self, namespace: str, plural: str, name: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", self._argo_path(namespace, plural, name))
        except KubeError as err:
            if err.status == 404:
                return None
            raise

    def list_argo(self, namespace: str, plural: str, label_selector: str = "") -> dict[str, Any]:
        query = {"labelSelector": label_selector} if label_selector else {}
        return self.request("GET", self._argo_path(namespace, plural), query=query)

    def create_argo(self, namespace: str, plural: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", self._argo_path(namespace, plural), body=dict(obj))

    def replace_argo(self, namespace: str, plural: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        name = str(obj["metadata"]["name"])
        return self.request("PUT", self._argo_path(namespace, plural, name), body=dict(obj))

    def patch_argo(
        self, namespace: str, plural: str, name: str, patch: Any, content_type: str = MERGE_PATCH
    ) -> dict[str, Any]:
        return self.request(
            "PATCH", self._argo_path(namespace, plural, name), body=patch, content_type=content_type
        )

    def delete_argo(self, namespace: str, plural: str, name: str) -> None:
        self.request("DELETE", self._argo_path(namespace, plural, name))

    def watch_argo(
        self, namespace: str, plural: str, resource_version: str, timeout_seconds: int
    ) -> Iterator[dict[str, Any]]:
        """Watch events (``{"type", "object"}``) from ``resource_version`` for at most ``timeout_seconds``."""
        w = watch.Watch()  # type: ignore[no-untyped-call]
        try:
            yield from w.stream(  # type: ignore[no-untyped-call]
                self._custom.list_namespaced_custom_object,
                GROUP,
                VERSION,
                namespace,
                plural,
                resource_version=resource_version,
                timeout_seconds=timeout_seconds,
                allow_watch_bookmarks=False,
            )
        finally:
            w.stop()  # type: ignore[no-untyped-call]


def _message_of(data: Any, fallback: str) -> str:
    try:
        payload = json.loads(data or "")
    except (TypeError, ValueError):
        return fallback or "unknown error"
    if isinstance(payload, dict) and payload.get("message"):
        return str(payload["message"])
    return fallback or "unknown error"


def _api_message(err: ApiException) -> str:
    return _message_of(err.body, str(err.reason or ""))
