"""Prometheus metrics of the application controller, with Argo CD's names and labels.

Dashboards and alerts written for Argo CD's ``argocd-metrics:8082/metrics``
work unchanged against ``argosy controller --metrics-port 8082``:

* ``argocd_app_info`` (gauge, 1 per app): ``namespace, name, project,
  autosync_enabled, repo, dest_server, dest_namespace, sync_status,
  health_status, operation`` — read from the controller's watch of
  Applications at scrape time, so it is never stale and costs no API call;
* ``argocd_app_sync_total{namespace, name, project, dest_server, phase}``:
  completed sync operations (Succeeded, Failed, Error);
* ``argocd_app_reconcile`` (histogram, seconds) ``{namespace, dest_server}``;
* ``argocd_app_k8s_request_total{namespace, name, project, server,
  response_code, verb, resource_kind, resource_namespace, dry_run}``: every
  request to a destination cluster, attributed to the app being reconciled
  or synced by that worker thread (empty for the shared watches);
* ``argocd_cluster_info{server, name, k8s_version}``,
  ``argocd_cluster_connection_status{server, k8s_version}`` (1 connected,
  0 not), ``argocd_cluster_api_resource_objects{server}``,
  ``argocd_cluster_api_resources{server}``, ``argocd_cluster_cache_age_seconds{server}``
  — from the live caches (a cluster appears once an app targets it).

When the repo service runs in-process its git metrics
(:mod:`argosy.repo.metrics`) are served on the same port.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from argosy.kube.metrics import RequestEvent
from argosy.settings.repositories import normalize_git_url

Obj = dict[str, Any]
COMPLETED_PHASES = ("Succeeded", "Failed", "Error")
DEFAULT_METRICS_PORT = 8082


_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


def k8s_version(git_version: str) -> str:
    """``v1.31.2`` -> ``1.31``: the ``k8s_version`` Argo CD reports (``Major.Minor``), raw when unparsable."""
    match = _VERSION.match(git_version.strip())
    return f"{match.group(1)}.{match.group(2)}" if match else git_version.strip()


def _project(app: Mapping[str, Any]) -> str:
    return str((app.get("spec") or {}).get("project") or "default")


def _meta(app: Mapping[str, Any]) -> tuple[str, str]:
    meta = app.get("metadata") or {}
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


def _dest_server(app: Mapping[str, Any]) -> str:
    return str(((app.get("spec") or {}).get("destination") or {}).get("server") or "")


def app_info_labels(app: Mapping[str, Any]) -> dict[str, str]:
    """The ``argocd_app_info`` labels of one Application, as Argo CD derives them."""
    spec = app.get("spec") or {}
    status = app.get("status") or {}
    namespace, name = _meta(app)
    source = spec.get("source") or next(iter(spec.get("sources") or []), None) or {}
    repo = str(source.get("repoURL") or "")
    destination = spec.get("destination") or {}
    operation = ""
    if (app.get("metadata") or {}).get("deletionTimestamp"):
        operation = "delete"
    elif (app.get("operation") or {}).get("sync") is not None:
        operation = "sync"
    return {
        "namespace": namespace,
        "name": name,
        "project": _project(app),
        "autosync_enabled": "true"
        if (spec.get("syncPolicy") or {}).get("automated") is not None
        else "false",
        "repo": (normalize_git_url(repo) or repo) if repo else "",
        "dest_server": str(destination.get("server") or ""),
        "dest_namespace": str(destination.get("namespace") or ""),
        "sync_status": str((status.get("sync") or {}).get("status") or "Unknown"),
        "health_status": str((status.get("health") or {}).get("status") or "Unknown"),
        "operation": operation,
    }


class _AppCollector(Collector):
    """``argocd_app_info`` from the controller's own copy of every Application."""

    def __init__(self, apps: Callable[[], Sequence[Mapping[str, Any]]]) -> None:
        self._apps = apps

    def collect(self) -> Iterable[GaugeMetricFamily]:
        labels = list(app_info_labels({}))
        family = GaugeMetricFamily("argocd_app_info", "Information about application.", labels=labels)
        for app in self._apps():
            info = app_info_labels(app)
            family.add_metric([info[k] for k in labels], 1.0)
        yield family


class _ClusterCollector(Collector):
    """Cluster gauges from the live caches' :class:`~argosy.kube.livecache.ClusterStatus`."""

    def __init__(self, clusters: Callable[[], Sequence[Any]]) -> None:
        self._clusters = clusters

    def collect(self) -> Iterable[GaugeMetricFamily]:
        info = GaugeMetricFamily(
            "argocd_cluster_info", "Information about cluster.", labels=["server", "name", "k8s_version"]
        )
        connection = GaugeMetricFamily(
            "argocd_cluster_connection_status",
            "The k8s cluster current connection status.",
            labels=["server", "k8s_version"],
        )
        objects = GaugeMetricFamily(
            "argocd_cluster_api_resource_objects",
            "Number of k8s resource objects in the cache.",
            labels=["server"],
        )
        resources = GaugeMetricFamily(
            "argocd_cluster_api_resources", "Number of monitored kubernetes API resources.", labels=["server"]
        )
        age = GaugeMetricFamily(
            "argocd_cluster_cache_age_seconds", "Cluster cache age in seconds.", labels=["server"]
        )
        now = datetime.now(UTC)
        for status in self._clusters():
            server, version = str(status.server), k8s_version(str(status.server_version or ""))
            info.add_metric([server, str(status.name), version], 1.0)
            connected = str(status.status).lower() == "successful"
            connection.add_metric([server, version], 1.0 if connected else 0.0)
            objects.add_metric([server], float(sum(status.objects_per_kind.values())))
            resources.add_metric([server], float(status.watched_kinds))
            last = status.last_sync
            age.add_metric([server], (now - last).total_seconds() if last is not None else -1.0)
        yield from (info, connection, objects, resources, age)


class _Union(Collector):
    """Several registries behind one endpoint (controller + in-process repo service)."""

    def __init__(self, registries: Sequence[CollectorRegistry]) -> None:
        self._registries = registries

    def collect(self) -> Iterable[Any]:
        for registry in self._registries:
            yield from registry.collect()


class ControllerMetrics:
    """One controller's metrics; the controller calls the hooks, Prometheus scrapes :attr:`registry`."""

    def __init__(
        self,
        apps: Callable[[], Sequence[Mapping[str, Any]]],
        clusters: Callable[[], Sequence[Any]],
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.sync_total = Counter(
            "argocd_app_sync",
            "Number of application syncs.",
            ["namespace", "name", "project", "dest_server", "phase"],
            registry=self.registry,
        )
        self.k8s_requests = Counter(
            "argocd_app_k8s_request",
            "Number of kubernetes requests executed during application reconciliation.",
            [
                "namespace",
                "name",
                "project",
                "server",
                "response_code",
                "verb",
                "resource_kind",
                "resource_namespace",
                "dry_run",
            ],
            registry=self.registry,
        )
        self.reconcile = Histogram(
            "argocd_app_reconcile",
            "Application reconciliation performance in seconds.",
            ["namespace", "dest_server"],
            buckets=(0.25, 0.5, 1, 2, 4, 8, 16),
            registry=self.registry,
        )
        self.registry.register(_AppCollector(apps))
        self.registry.register(_ClusterCollector(clusters))
        self._current = threading.local()

    # ------------------------------------------------------------------ hooks
    @contextmanager
    def working_on(self, app: Mapping[str, Any]) -> Iterator[None]:
        """Attribute this thread's cluster requests to ``app`` while the block runs."""
        previous = getattr(self._current, "app", None)
        self._current.app = app
        try:
            yield
        finally:
            self._current.app = previous

    @contextmanager
    def reconciling(self, app: Mapping[str, Any]) -> Iterator[None]:
        """Time one reconcile of ``app`` (``argocd_app_reconcile``), attributing its requests to it."""
        started = time.monotonic()
        with self.working_on(app):
            try:
                yield
            finally:
                namespace, _ = _meta(app)
                self.reconcile.labels(namespace, _dest_server(app)).observe(time.monotonic() - started)

    def k8s_request(self, event: RequestEvent) -> None:
        """The :data:`~argosy.kube.metrics.RequestHook` given to every destination-cluster client."""
        app: Mapping[str, Any] = getattr(self._current, "app", None) or {}
        namespace, name = _meta(app)
        self.k8s_requests.labels(
            namespace,
            name,
            _project(app) if app else "",
            event.server,
            str(event.response_code),
            event.verb,
            event.resource_kind,
            event.resource_namespace,
            "true" if event.dry_run else "false",
        ).inc()

    def operation_state(self, app: Mapping[str, Any], state: Mapping[str, Any] | None) -> None:
        """Count a sync operation that ended (``argocd_app_sync_total``); a running one is not counted."""
        phase = str((state or {}).get("phase") or "")
        if phase not in COMPLETED_PHASES:
            return
        namespace, name = _meta(app)
        self.sync_total.labels(namespace, name, _project(app), _dest_server(app), phase).inc()

    # ---------------------------------------------------------------- serving
    def exposition(self, *extra: CollectorRegistry) -> CollectorRegistry:
        """A registry serving these metrics plus ``extra`` ones (the in-process repo service's)."""
        if not extra:
            return self.registry
        combined = CollectorRegistry(auto_describe=False)
        combined.register(_Union([self.registry, *extra]))
        return combined


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class MetricsEndpoint:
    """``GET /metrics`` (and ``/healthz``) on its own port, served from a daemon thread."""

    def __init__(self, registry: CollectorRegistry, address: str = "0.0.0.0", port: int = 0) -> None:
        metrics_app = make_wsgi_app(registry)

        def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            if environ.get("PATH_INFO") == "/healthz":
                start_response("200 OK", [("Content-Type", "text/plain")])
                return [b"ok"]
            return metrics_app(environ, start_response)  # type: ignore[no-any-return]

        self._server: WSGIServer = make_server(address, port, app, handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        host = str(self._server.server_address[0])
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{self.port}/metrics"

    def start(self) -> MetricsEndpoint:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
