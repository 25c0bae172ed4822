"""How the server is started: namespace, cluster access, listening address and TLS."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from argosy.server.auth.lockout import LoginThrottle


@dataclass
class ServerConfig:
    namespace: str = "argocd"
    kubeconfig: Path | None = None
    context: str | None = None
    address: str = "0.0.0.0"
    port: int = 8080
    #: None: read ``server.insecure`` from argocd-cmd-params-cm; True/False: forced (``--insecure``).
    insecure: bool | None = None
    #: URL path prefix the server (UI and API) is reached under behind a reverse proxy, e.g.
    #: ``/argosy`` (``--rootpath``); None: ``server.rootpath`` of argocd-cmd-params-cm, else none.
    rootpath: str | None = None
    #: Random delay range (s) padded onto every login, as Argo CD, to hide timing differences.
    login_delay: tuple[float, float] = (0.5, 1.0)
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    #: Content types a cookie-authenticated (browser) request may change state with (CSRF);
    #: None: ``server.api.content.types`` of argocd-cmd-params-cm, else ``application/json``;
    #: empty: no check (see :mod:`argosy.server.csrf`).
    api_content_types: tuple[str, ...] | None = None
    #: The clock (epoch seconds) sessions and tokens are dated and judged by; tests inject one.
    clock: Callable[[], float] = time.time
    #: How long an SSE stream's Kubernetes watch runs before it is renewed (s).
    watch_timeout: int = 300
    #: URL of ``argosy repo-server`` for /manifests and /managed-resources ("": render in-process).
    repo_server: str = ""
    #: Seconds a cluster's probed connection state and version are reused by /clusters.
    cluster_info_ttl: float = 10.0
    #: Seconds between re-reads of the children (ReplicaSets, Pods) of a streamed resource tree:
    #: they change without the Application changing. The streams of one app share each read.
    tree_refresh: float = 5.0
    #: ``--core``: the CLI runs this server in its own process on loopback, as ``argocd --core``
    #: runs Argo CD's. Argosy's accounts and RBAC are off (the kubeconfig's Kubernetes RBAC
    #: decides), nothing is bootstrapped, and only a caller presenting ``core_token`` (a random
    #: secret the CLI process made) is served.
    core: bool = False
    core_token: str = ""
