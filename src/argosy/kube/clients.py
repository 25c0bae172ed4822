"""Reaching a destination cluster: one authenticated client per cluster.

Authentication and TLS come from the official ``kubernetes`` client
(``Configuration`` built from a kubeconfig, the in-cluster service account, or a
kubeconfig synthesised from a cluster Secret — bearer token, basic auth, client
certificates, ``insecure``, ``serverName``, exec credential plugins). Requests
go through its ``ApiClient`` as raw paths with JSON bodies, not through the
generated typed APIs or the dynamic client: the cache and the sync runner work
on plain dicts for every kind (CRDs included), and skipping the model
(de)serialisation is several times faster and lighter for thousands of objects.

Every request has a timeout, is counted for ``argocd_app_k8s_request_total``
and fails with a :class:`~argosy.kube.errors.KubeError` naming the cluster.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import datetime
import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import urllib3
from kubernetes import client as k8s
from kubernetes import config as _k8s_config
from kubernetes.client import rest as k8s_rest
from kubernetes.client.exceptions import ApiException

from argosy.engine.keys import ResourceKey
from argosy.kube.errors import ClusterUnreachable, KubeError, api_error_from_status
from argosy.kube.metrics import RequestEvent, RequestHook
from argosy.kube.ratelimit import RateLimit, TokenBucket
from argosy.kube.ratelimit import default as default_rate_limit
from argosy.settings.clusters import ClusterConfig

DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 5.0
STRICT: Mapping[str, str] = {"fieldValidation": "Strict"}
"""Query of a write that refuses unknown and duplicate fields rather than drop them (Kubernetes
server-side field validation, what ``kubectl --validate=strict`` asks for)."""
# A 429 (the API server's priority-and-fairness throttling) is retried after its
# Retry-After, bounded, as client-go does (10 times); then the caller's backoff takes over.
THROTTLED_RETRIES = 10
MAX_RETRY_AFTER = 5.0
# The client's config loaders are partly annotated; treat the module as untyped.
k8s_config: Any = _k8s_config
_NETWORK_ERRORS = (urllib3.exceptions.HTTPError, OSError)


def kubeconfig_dict(cluster: ClusterConfig) -> dict[str, Any]:
    """A kubeconfig (as a dict) that reaches ``cluster`` with its Secret's credentials.

    Only for clusters defined by a Secret; the in-cluster destination uses the
    service account or the user's kubeconfig directly.
    """
    entry: dict[str, Any] = {"server": cluster.server}
    if cluster.tls.ca_data:
        entry["certificate-authority-data"] = base64.b64encode(cluster.tls.ca_data).decode()
    if cluster.tls.insecure:
        entry["insecure-skip-tls-verify"] = True
    if cluster.tls.server_name:
        entry["tls-server-name"] = cluster.tls.server_name
    if cluster.proxy_url:
        entry["proxy-url"] = cluster.proxy_url
    user: dict[str, Any] = {}
    if cluster.bearer_token:
        user["token"] = cluster.bearer_token
    if cluster.username:
        user["username"] = cluster.username
        user["password"] = cluster.password
    if cluster.tls.cert_data:
        user["client-certificate-data"] = base64.b64encode(cluster.tls.cert_data).decode()
        user["client-key-data"] = base64.b64encode(cluster.tls.key_data).decode()
    if cluster.exec_provider:
        ex = cluster.exec_provider
        user["exec"] = {
            "command": ex.command,
            "args": list(ex.args),
            "env": [{"name": k, "value": v} for k, v in ex.env] or None,
            "apiVersion": ex.api_version,
            "installHint": ex.install_hint or None,
            "interactiveMode": "Never",
        }
    name = "argosy"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": entry}],
        "users": [{"name": name, "user": user}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }


def configuration_for(cluster: ClusterConfig, pool_size: int = 16) -> Any:
    """The official client's ``Configuration`` for ``cluster``.

    Raises KubeError when the credentials cannot be loaded (bad kubeconfig,
    missing exec plugin...), naming the cluster.
    """
    cfg = k8s.Configuration()
    try:
        if cluster.in_cluster:
            k8s_config.load_incluster_config(client_configuration=cfg)
        elif cluster.kubeconfig is not None:
            k8s_config.load_kube_config(
                config_file=str(cluster.kubeconfig),
                context=cluster.context or None,
                client_configuration=cfg,
                persist_config=False,
            )
        else:
            k8s_config.load_kube_config_from_dict(kubeconfig_dict(cluster), client_configuration=cfg)
    except (k8s_config.ConfigException, OSError, ValueError, TypeError) as exc:
        source = f"kubeconfig {cluster.kubeconfig}" if cluster.kubeconfig else "its cluster Secret"
        raise KubeError(cluster.describe(), f"cannot load credentials from {source}: {exc}") from exc
    cfg.connection_pool_maxsize = pool_size
    # One transport retry (a pooled connection the server closed); every caller has its
    # own backoff, and urllib3's default three retries only multiply the waiting and the logs.
    # Statuses are never urllib3's business: with a Retry-After header it would retry a 429
    # itself and, its budget spent, raise "too many 429 error responses" (seen as an
    # unreachable cluster) before the client's own THROTTLED_RETRIES loop saw the answer.
    cfg.retries = urllib3.Retry(
        total=1, redirect=0, status=0, respect_retry_after_header=False, raise_on_status=False
    )
    return cfg


@dataclass
class ConnectionCheck:
    """Result of probing a cluster: reachable or not, and why."""

    ok: bool
    server_version: str = ""
    message: str = ""


class LineStream:
    """An open streaming response read line by line (``pods/log``); ``close()`` from any thread ends it."""

    def __init__(self, response: Any, source: str) -> None:
        self._response = response
        self._source = source  # the cluster, as errors name it
        self._closed = False

    def lines(self) -> Iterator[bytes]:
        """Each complete line without its newline, then the unterminated rest (if any).

        A connection that breaks mid-stream (the API server killed or restarted, a reset, a
        read timeout) raises :class:`ClusterUnreachable` like any other request: readers
        handle ``KubeError`` and retry, and a raw urllib3 error would end their thread."""
        pending = b""
        try:
            for chunk in self._response.stream(amt=None, decode_content=False):
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    yield line
            if pending:
                yield pending
        except _NETWORK_ERRORS as exc:
            if not self._closed:
                raise ClusterUnreachable(self._source, _short(exc)) from exc

    def close(self) -> None:
        self._closed = True
        # shutdown() unblocks a reader in another thread; it refuses once the connection
        # went back to the pool, which means the stream is already over.
        with contextlib.suppress(AttributeError, OSError, RuntimeError):
            self._response.shutdown()
        with contextlib.suppress(OSError):
            self._response.release_conn()


def _dumps(body: Any) -> bytes:
    """Encode a request body. The kubernetes client walks every body through
    ``sanitize_for_serialization`` and then ``json.dumps`` — ~6 % of a syncing fleet's
    controller CPU; orjson writes plain JSON (and dates as ISO 8601, like the client)
    several times faster. What orjson refuses goes through the stdlib encoder."""
    try:
        return orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # integers beyond 64 bits, or a type the client knows and orjson does not
        return json.dumps(body, default=_iso).encode()


def _iso(value: Any) -> str:
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    raise TypeError(f"cannot send a {type(value).__name__} to the API server; give it as a string")


def _loads(data: bytes | str) -> Any:
    """Decode one JSON body or watch event: orjson (the controller decodes tens of thousands
    per minute in a syncing fleet; the stdlib decoder was ~4 % of its CPU), the stdlib for
    what orjson refuses (integers beyond 64 bits). Raises ValueError for text that is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


class WatchStream(LineStream):
    """An open watch response: iterate decoded events; ``close()`` from any thread ends it."""

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for line in self.lines():
            if line.strip():
                yield _loads(line)


class KubeClient:
    """All requests to one cluster, with timeouts, error mapping and request counting."""

    def __init__(
        self,
        cluster: ClusterConfig,
        *,
        hook: RequestHook | None = None,
        pool_size: int = 16,
        limit: RateLimit | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.cluster = cluster
        self._hook = hook
        self.bucket = TokenBucket(limit or default_rate_limit())
        self._sleep = sleep
        self.api: Any = k8s.ApiClient(configuration_for(cluster, pool_size))
        self.name = cluster.describe()
        if self.host.rstrip("/") != cluster.server:
            # The in-cluster destination reached through a kubeconfig: say where it really is.
            self.name = (
                f"{self.name[:-1]} at {self.host})"
                if self.name.endswith(")")
                else f"{self.name} at {self.host}"
            )
        self._owns_connections = True

    def with_own_limit(self) -> KubeClient:
        """This client's connections, credentials and request counting, with a token bucket of
        its own (same QPS and burst).

        Why: client-go gives every client its own limiter, and Argo CD builds new clients for
        each sync operation and keeps Applications and Events on separate clientsets, so
        ``ARGOCD_K8S_CLIENT_QPS`` bounds each of those. One bucket per cluster for everything
        made Argosy ten times stricter at the same setting: a 1,000-app fleet synced two apps a
        second with every operation worker waiting on it. ``close()`` of a view does nothing:
        the connections are the parent's.
        """
        view = copy.copy(self)
        view.bucket = TokenBucket(self.bucket.limit)
        view._owns_connections = False
        return view

    @classmethod
    def from_kubeconfig(
        cls, path: Path, context: str = "", *, name: str = "", hook: RequestHook | None = None
    ) -> KubeClient:
        from argosy.settings.clusters import IN_CLUSTER_NAME, IN_CLUSTER_SERVER

        cluster = ClusterConfig(
            server=IN_CLUSTER_SERVER, name=name or IN_CLUSTER_NAME, kubeconfig=path, context=context
        )
        return cls(cluster, hook=hook)

    @property
    def host(self) -> str:
        return str(self.api.configuration.host)

    def close(self) -> None:
        if self._owns_connections:
            self.api.close()

    def record(self, verb: str, kind: str, namespace: str, code: int, dry_run: bool = False) -> None:
        """Count a request made outside this client (``kubectl`` runs)."""
        self._count(verb, kind, namespace, code, dry_run)

    def _count(self, verb: str, kind: str, namespace: str, code: int, dry_run: bool) -> None:
        if self._hook is not None:
            self._hook(RequestEvent(self.cluster.server, verb, kind, namespace, code, dry_run))

    def _send(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None,
        body: Any,
        content_type: str,
        timeout: float | tuple[float, float],
    ) -> Any:
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = content_type
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        req = self.api.param_serialize(
            method, path, query_params=params, header_params=headers, auth_settings=["BearerToken"]
        )
        payload = None if body is None else _dumps(body)
        try:
            for attempt in range(THROTTLED_RETRIES + 1):
                self.bucket.take()
                resp = self._call(req, payload, timeout)
                if resp.status != 429 or attempt == THROTTLED_RETRIES:
                    return resp
                resp.read()  # give the connection back to the pool
                self._sleep(_retry_after(resp))
            return resp
        except ApiException as exc:  # TLS failures surface this way, with status 0
            if exc.status == 0:
                raise ClusterUnreachable(self.name, str(exc.reason).replace("\n", ": ")) from exc
            raise api_error_from_status(self.name, exc.status, str(exc.reason), exc.body) from exc
        except _NETWORK_ERRORS as exc:
            raise ClusterUnreachable(self.name, _short(exc)) from exc

    def _call(self, req: Any, payload: bytes | None, timeout: float | tuple[float, float]) -> Any:
        """One round trip. A body goes out as the bytes :func:`_dumps` made, through the same
        connection pool, TLS settings and auth headers as the kubernetes client's requests."""
        if payload is None:
            return self.api.call_api(*req, _request_timeout=timeout)
        method, url, headers = req[0], req[1], req[2]
        connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        raw = self.api.rest_client.pool_manager.request(
            method,
            url,
            body=payload,
            headers=headers,
            timeout=urllib3.Timeout(connect=connect, read=read),
            preload_content=False,
        )
        return k8s_rest.RESTResponse(raw)

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        content_type: str = "application/json",
        timeout: float = DEFAULT_TIMEOUT,
        verb: str = "",
        kind: str = "",
        namespace: str = "",
        key: ResourceKey | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON body (None when empty)."""
        dry_run = bool(query and query.get("dryRun"))
        verb = verb or method.lower()
        try:
            resp = self._send(
                method, path, query, body, content_type, (min(CONNECT_TIMEOUT, timeout), timeout)
            )
        except KubeError as exc:
            status = getattr(exc, "status", 0)
            self._count(verb, kind, namespace, status, dry_run)
            if key is not None and hasattr(exc, "key"):
                exc.key = key
            raise
        try:
            data = resp.read()
        except _NETWORK_ERRORS as exc:
            self._count(verb, kind, namespace, 0, dry_run)
            raise ClusterUnreachable(self.name, _short(exc)) from exc
        self._count(verb, kind, namespace, resp.status, dry_run)
        decoded: Any = None
        if data:
            try:
                decoded = _loads(data)
            except ValueError:
                decoded = data
        if not 200 <= resp.status <= 299:
            raise api_error_from_status(self.name, resp.status, str(resp.reason or ""), decoded, key)
        return decoded

    def watch(self, path: str, query: Mapping[str, Any], *, timeout: float, kind: str = "") -> WatchStream:
        """Open a watch; ``timeout`` bounds the silence between two events (the server
        closes the watch after its ``timeoutSeconds``, so this is only a safety net)."""
        return WatchStream(
            self._open_stream(path, {**query, "watch": "true"}, timeout, "watch", kind), self.name
        )

    def stream(
        self, path: str, query: Mapping[str, Any], *, timeout: float, kind: str = "", namespace: str = ""
    ) -> LineStream:
        """Open a streaming GET (``pods/log`` with ``follow``); ``timeout`` bounds the silence
        between two chunks, so a followed log that stays quiet longer ends with an error."""
        return LineStream(self._open_stream(path, query, timeout, "get", kind, namespace), self.name)

    def _open_stream(
        self, path: str, query: Mapping[str, Any], timeout: float, verb: str, kind: str, namespace: str = ""
    ) -> Any:
        try:
            resp = self._send("GET", path, query, None, "", (CONNECT_TIMEOUT, timeout))
        except KubeError as exc:
            self._count(verb, kind, namespace, getattr(exc, "status", 0), False)
            raise
        self._count(verb, kind, namespace, resp.status, False)
        if not 200 <= resp.status <= 299:
            data = resp.read()
            try:
                body: Any = _loads(data)
            except ValueError:
                body = data
            raise api_error_from_status(self.name, resp.status, str(resp.reason or ""), body)
        return resp.response

    def server_version(self, timeout: float = 10.0) -> str:
        info = self.request("GET", "/version", timeout=timeout, verb="get")
        return str((info or {}).get("gitVersion") or "")

    def check(self, timeout: float = 10.0) -> ConnectionCheck:
        """Probe the cluster (``/version``); never raises."""
        try:
            return ConnectionCheck(ok=True, server_version=self.server_version(timeout))
        except KubeError as exc:
            return ConnectionCheck(ok=False, message=str(exc))


def _retry_after(resp: Any) -> float:
    """Seconds a 429 asks to wait (``Retry-After``), bounded to [0.5, 5] s."""
    try:
        seconds = float(resp.getheader("Retry-After") or 1)
    except (TypeError, ValueError):
        seconds = 1.0
    return min(max(seconds, 0.5), MAX_RETRY_AFTER)


def _short(exc: BaseException) -> str:
    """urllib3 nests the real cause several levels deep; surface the innermost reason."""
    reason: BaseException = exc
    while True:
        inner = getattr(reason, "reason", None)
        if isinstance(inner, BaseException) and inner is not reason:
            reason = inner
            continue
        break
    return f"{type(reason).__name__}: {reason}"
