"""Starting the server: bootstrap ``argocd-secret``, choose HTTP or HTTPS, run uvicorn.

``server.insecure: "true"`` in ``argocd-cmd-params-cm`` (or ``--insecure``)
serves plain HTTP for an ingress that terminates TLS; otherwise HTTPS with
the certificate in ``argocd-secret`` (self-signed and stored on first start).
"""

from __future__ import annotations

import logging
import socket
import threading
from dataclasses import dataclass
from typing import Any

import uvicorn

from argosy.kube.clients import KubeClient
from argosy.server.app import create_app
from argosy.server.bootstrap import bootstrap
from argosy.server.config import ServerConfig
from argosy.server.context import ServerContext
from argosy.server.csrf import content_types_from_params
from argosy.server.kubeapi import KubeAPI
from argosy.server.settings import CMD_PARAMS_CM
from argosy.settings.clusters import in_cluster_config

log = logging.getLogger(__name__)


def _cmd_params(kube: KubeAPI, namespace: str) -> dict[str, str]:
    cm = kube.get(namespace, "configmaps", CMD_PARAMS_CM) or {}
    return {str(k): str(v) for k, v in (cm.get("data") or {}).items()}


def _cmd_param(kube: KubeAPI, namespace: str, key: str) -> str:
    return _cmd_params(kube, namespace).get(key, "").strip()


def insecure_from_params(kube: KubeAPI, namespace: str) -> bool:
    return _cmd_param(kube, namespace, "server.insecure").lower() == "true"


def normal_rootpath(value: str) -> str:
    """``argosy/`` or ``/argosy/`` -> ``/argosy``; ``/`` or empty -> ""."""
    parts = [p for p in value.strip().split("/") if p]
    return "/" + "/".join(parts) if parts else ""


@dataclass
class Prepared:
    ctx: ServerContext
    uvicorn_config: uvicorn.Config

    @property
    def scheme(self) -> str:
        return "http" if self.ctx.insecure else "https"


GRACEFUL_SHUTDOWN_SECONDS = 2.0
"""How long a stopping server lets requests in flight finish before cancelling them."""


def prepare(config: ServerConfig, **uvicorn_kwargs: Any) -> Prepared:
    """Everything up to (not including) listening: bootstrap, TLS files, the app."""
    kube = KubeAPI(KubeClient(in_cluster_config(config.kubeconfig, config.context or "")))
    if config.core:
        # The CLI's own loopback server: plain HTTP, and nothing written to the cluster at start.
        insecure, pair = True, None
    else:
        insecure = (
            config.insecure if config.insecure is not None else insecure_from_params(kube, config.namespace)
        )
        pair = bootstrap(kube, config.namespace, tls=not insecure)
    if config.rootpath is None and not config.core:
        config.rootpath = _cmd_param(kube, config.namespace, "server.rootpath")
    config.rootpath = normal_rootpath(config.rootpath or "")
    if config.api_content_types is None:
        # --core serves only the CLI, which always sends its token in a header: nothing to read.
        params = {} if config.core else _cmd_params(kube, config.namespace)
        config.api_content_types = content_types_from_params(params)
    ctx = ServerContext(kube, config)
    ctx.insecure = insecure
    if not config.core:
        # Fill the application cache now (10,000 apps take a while to list), not on the first
        # page a user opens; the CLI's one-shot --core server lists only if asked.
        ctx.apps.get(config.namespace)
    ssl: dict[str, Any] = {}
    if pair is not None:
        cert, key = pair.write()
        ssl = {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}
    uv = uvicorn.Config(
        create_app(ctx),
        host=config.address,
        port=config.port,
        log_config=None,  # the root logger's format (argosy.logs), not uvicorn's own
        log_level=uvicorn_kwargs.pop("log_level", None),
        # The client address is the peer's: uvicorn would otherwise believe X-Forwarded-For from
        # loopback (a sidecar, a `kubectl port-forward`), and a client could pick its own
        # address per request to escape the webhook's per-address rate limit.
        proxy_headers=uvicorn_kwargs.pop("proxy_headers", False),
        # Live streams (the UI's application list, resource trees, pod logs) never complete on
        # their own: without a bound, SIGTERM would wait for every open browser tab forever.
        timeout_graceful_shutdown=uvicorn_kwargs.pop("timeout_graceful_shutdown", GRACEFUL_SHUTDOWN_SECONDS),
        **ssl,
        **uvicorn_kwargs,
    )
    return Prepared(ctx, uv)


def serve(config: ServerConfig) -> None:
    prepared = prepare(config)
    log.info(
        "serving %s on %s:%d (namespace %s)", prepared.scheme, config.address, config.port, config.namespace
    )
    uvicorn.Server(prepared.uvicorn_config).run()


class BackgroundServer:
    """The server on a loopback port in a thread, for tests and embedding."""

    def __init__(self, config: ServerConfig) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.prepared = prepare(config, log_level="warning")
        self.server = uvicorn.Server(self.prepared.uvicorn_config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    @property
    def url(self) -> str:
        return f"{self.prepared.scheme}://127.0.0.1:{self.port}"

    @property
    def ctx(self) -> ServerContext:
        return self.prepared.ctx

    def start(self, timeout: float = 20.0) -> BackgroundServer:
        import time

        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the API server did not start; see the log above")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        self.ctx.apps.stop()  # the application caches' watch threads
