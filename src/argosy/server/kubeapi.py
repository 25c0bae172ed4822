"""The server's view of the control-plane cluster: plain JSON objects over the Kubernetes REST API.

All the server's state (settings, accounts, tokens, applications, projects,
cluster and repository Secrets) lives in Kubernetes, so any number of server
replicas can run side by side. This is a thin, path-building layer over
:class:`argosy.kube.clients.KubeClient` — the same client stack (timeouts,
TLS, exec credentials, request counting) and the same
:class:`~argosy.kube.errors.KubeError` as the controller; routes turn those
errors into API errors with :func:`argosy.server.errors.from_kube`. Objects
travel as dicts exactly as the API returns them; Secret ``data`` stays base64.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from argosy.kube.clients import STRICT, KubeClient
from argosy.kube.errors import KubeError, http_status
from argosy.model.constants import GROUP, VERSION

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def b64(value: str) -> str:
    return base64.b64encode(value.encode("utf-8")).decode("ascii")


def _core_path(namespace: str, plural: str, name: str = "") -> str:
    base = f"/api/v1/namespaces/{quote(namespace, safe='')}/{plural}"
    return f"{base}/{quote(name, safe='')}" if name else base


def _argo_path(namespace: str, plural: str, name: str = "") -> str:
    base = f"/apis/{GROUP}/{VERSION}/namespaces/{quote(namespace, safe='')}/{plural}"
    return f"{base}/{quote(name, safe='')}" if name else base


class KubeAPI:
    """The few resources the server reads and writes, by namespace and plural."""

    def __init__(self, client: KubeClient) -> None:
        self.client = client
        #: Told of every argoproj.io object this server wrote: ``(namespace, plural, name, obj)``,
        #: ``obj`` None after a delete (the application cache reads its own writes through it).
        self.written: list[Callable[[str, str, str, dict[str, Any] | None], None]] = []

    def _wrote(self, namespace: str, plural: str, name: str, obj: dict[str, Any] | None) -> None:
        for listener in self.written:
            listener(namespace, plural, name, obj)

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> dict[str, Any]:
        result = self.client.request(method, path, body=body, query=query, content_type=content_type)
        return dict(result) if isinstance(result, dict) else {}

    def _get(self, path: str) -> dict[str, Any] | None:
        try:
            return self.request("GET", path)
        except KubeError as err:
            if http_status(err) == 404:
                return None
            raise

    # -- core objects --------------------------------------------------------
    def get(self, namespace: str, plural: str, name: str) -> dict[str, Any] | None:
        return self._get(_core_path(namespace, plural, name))

    def list(
        self, namespace: str, plural: str, label_selector: str = "", **query: str
    ) -> list[dict[str, Any]]:
        params = dict(query)
        if label_selector:
            params["labelSelector"] = label_selector
        out = self.request("GET", _core_path(namespace, plural), query=params)
        items: list[dict[str, Any]] = out.get("items") or []
        return items

    def create(self, namespace: str, plural: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        return self.request("POST", _core_path(namespace, plural), body=dict(obj))

    def replace(self, namespace: str, plural: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        name = str(obj["metadata"]["name"])
        return self.request("PUT", _core_path(namespace, plural, name), body=dict(obj))

    def patch(
        self, namespace: str, plural: str, name: str, patch: Any, content_type: str = MERGE_PATCH
    ) -> dict[str, Any]:
        return self.request(
            "PATCH", _core_path(namespace, plural, name), body=patch, content_type=content_type
        )

    def delete(self, namespace: str, plural: str, name: str) -> None:
        self.request("DELETE", _core_path(namespace, plural, name))

    # -- argoproj.io objects ---------------------------------------------------
    def get_argo(self, namespace: str, plural: str, name: str) -> dict[str, Any] | None:
        return self._get(_argo_path(namespace, plural, name))

    def list_argo(self, namespace: str, plural: str, label_selector: str = "") -> dict[str, Any]:
        query = {"labelSelector": label_selector} if label_selector else {}
        return self.request("GET", _argo_path(namespace, plural), query=query)

    # Writes of what a user sent are checked strictly: a misspelt field (spec.source.targetRevison)
    # is refused with its path, where the CRD schema would otherwise drop it silently.
    def create_argo(self, namespace: str, plural: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        out = self.request("POST", _argo_path(namespace, plural), query=STRICT, body=dict(obj))
        self._wrote(namespace, plural, str(obj["metadata"]["name"]), out)
        return out

    def replace_argo(self, namespace: str, plural: str, obj: Mapping[str, Any]) -> dict[str, Any]:
        name = str(obj["metadata"]["name"])
        out = self.request("PUT", _argo_path(namespace, plural, name), query=STRICT, body=dict(obj))
        self._wrote(namespace, plural, name, out)
        return out

    def patch_argo(
        self, namespace: str, plural: str, name: str, patch: Any, content_type: str = MERGE_PATCH
    ) -> dict[str, Any]:
        out = self.request(
            "PATCH", _argo_path(namespace, plural, name), body=patch, content_type=content_type
        )
        self._wrote(namespace, plural, name, out)
        return out

    def delete_argo(self, namespace: str, plural: str, name: str) -> None:
        self.request("DELETE", _argo_path(namespace, plural, name))
        if self.written:
            try:
                gone = self.get_argo(namespace, plural, name)  # still there while finalizers run
            except KubeError:
                return  # deleted all the same; the watch tells the cache soon
            self._wrote(namespace, plural, name, gone)
