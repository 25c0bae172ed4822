"""``argosy controller``: run the application controller until interrupted."""

from __future__ import annotations

import logging
import signal
import socket
import threading
from pathlib import Path

import typer

from argosy.cli.client import cli_errors
from argosy.cli.commands.backend import CliError
from argosy.cli.commands.logflags import LOG_FORMAT, LOG_LEVEL, setup_logging
from argosy.controller.bootstrap import bootstrap
from argosy.controller.manager import DEFAULT_OPERATION_PROCESSORS, DEFAULT_STATUS_PROCESSORS, Controller
from argosy.controller.metrics import MetricsEndpoint
from argosy.controller.sharding import ClusterSharding
from argosy.engine.sharding import shard_from_hostname
from argosy.kube.clients import KubeClient
from argosy.kube.ratelimit import DEFAULT_BURST, DEFAULT_QPS, RateLimit, set_default
from argosy.repo import HttpRepoClient, RepoService
from argosy.repo.metrics import REGISTRY as REPO_METRICS
from argosy.settings.clusters import default_kubeconfig, in_cluster_config, running_in_cluster


def controller(
    namespace: str = typer.Option("argocd", "--namespace", "-n", help="Control-plane namespace."),
    kubeconfig: Path | None = typer.Option(
        None, "--kubeconfig", help="Kubeconfig (default: in-cluster or ~/.kube/config)."
    ),
    context: str = typer.Option("", "--context", help="Kubeconfig context."),
    status_processors: int = typer.Option(
        DEFAULT_STATUS_PROCESSORS,
        "--status-processors",
        min=1,
        envvar="ARGOCD_APPLICATION_CONTROLLER_STATUS_PROCESSORS",
        help="Workers comparing apps (Argo CD's controller.status.processors).",
    ),
    operation_processors: int = typer.Option(
        DEFAULT_OPERATION_PROCESSORS,
        "--operation-processors",
        min=1,
        envvar="ARGOCD_APPLICATION_CONTROLLER_OPERATION_PROCESSORS",
        help="Workers running syncs (Argo CD's controller.operation.processors).",
    ),
    kube_api_qps: float = typer.Option(
        DEFAULT_QPS,
        "--kube-api-qps",
        envvar="ARGOCD_K8S_CLIENT_QPS",
        help="Requests per second of each client, as in Argo CD: each cluster's cache, each running "
        "sync, the Applications, the Events (0: unlimited).",
    ),
    kube_api_burst: int = typer.Option(
        DEFAULT_BURST,
        "--kube-api-burst",
        min=1,
        envvar="ARGOCD_K8S_CLIENT_BURST",
        help="Burst above the QPS.",
    ),
    shards: str = typer.Option(
        "",
        "--shards",
        envvar="ARGOSY_CONTROLLER_SHARDS",
        help="'auto' (the default without --replicas): replicas share the applications through Leases, "
        "and replicas with the same --replica-id stand by for each other; 'off': this process "
        "reconciles every app and must be the only controller of the namespace.",
    ),
    replica_id: str = typer.Option(
        "",
        "--replica-id",
        envvar="POD_NAME",
        help="This replica's id with --shards auto (default: the host name; a second process "
        "with the same id stands by).",
    ),
    replicas: int = typer.Option(
        1,
        "--replicas",
        min=1,
        envvar="ARGOCD_CONTROLLER_REPLICAS",
        help="Argo CD's per-cluster sharding: number of replicas.",
    ),
    shard: int = typer.Option(
        -1,
        "--shard",
        envvar="ARGOCD_CONTROLLER_SHARD",
        help="Argo CD's per-cluster sharding: this replica's shard (default: the StatefulSet ordinal).",
    ),
    sharding_method: str = typer.Option(
        "legacy",
        "--sharding-method",
        envvar="ARGOCD_CONTROLLER_SHARDING_ALGORITHM",
        help="Argo CD's per-cluster sharding: legacy or round-robin.",
    ),
    log_level: str = LOG_LEVEL,
    log_format: str = LOG_FORMAT,
    repo_server: str = typer.Option(
        "",
        "--repo-server",
        help="URL of `argosy repo-server`, or several comma-separated replicas (default: in-process).",
    ),
    metrics_port: int = typer.Option(8082, "--metrics-port", help="Prometheus /metrics port (0: off)."),
    metrics_address: str = typer.Option(
        "0.0.0.0", "--metrics-address", help="Address of /metrics (127.0.0.1: loopback only)."
    ),
) -> None:
    """Watch Applications and keep their status (and, when automated, their clusters) in sync with Git."""
    with cli_errors():
        setup_logging(log_level, log_format)
    if kubeconfig is None and not running_in_cluster():
        kubeconfig = default_kubeconfig()
    in_cluster = in_cluster_config(kubeconfig, context)
    set_default(RateLimit(kube_api_qps, kube_api_burst))
    client = KubeClient(in_cluster)
    bootstrap(client, namespace)

    renderer = HttpRepoClient(repo_server) if repo_server else RepoService()
    with cli_errors():
        replica, by_cluster = _sharding(shards, replica_id, replicas, shard, sharding_method)
    ctl = Controller(
        client,
        renderer,
        namespace=namespace,
        status_workers=status_processors,
        operation_workers=operation_processors,
        in_cluster=in_cluster,
        replica=replica,
    )
    if by_cluster is not None:
        ctl.cluster_sharding = ClusterSharding(*by_cluster, lambda: ctl.cp.secrets("cluster"))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    ctl.start()
    if metrics_port:  # the in-process repo service's git metrics are served beside the controller's
        MetricsEndpoint(ctl.metrics.exposition(REPO_METRICS), metrics_address, metrics_port).start()
    logging.getLogger("argosy.controller").info("controller running in namespace %s", namespace)
    stop.wait()
    ctl.stop()


def _sharding(
    shards: str, replica_id: str, replicas: int, shard: int, method: str
) -> tuple[str | None, tuple[int, int, str] | None]:
    """(replica id for app sharding, or per-cluster (replicas, shard, method)), from the flags."""
    if shards not in ("", "auto", "off"):
        raise CliError(f"--shards {shards!r}: use 'auto' or 'off'")
    if shards == "auto" and replicas > 1:
        raise CliError("--shards auto and --replicas (per-cluster sharding) exclude each other")
    if replicas > 1:
        if shard < 0:
            ordinal = shard_from_hostname(socket.gethostname())
            if ordinal is None:
                raise CliError(
                    "--replicas > 1 needs --shard (or a StatefulSet host name ending in the ordinal)"
                )
            shard = ordinal
        return None, (replicas, shard, method)
    if shards == "off":
        return None, None
    # The default: never two processes acting on one app, whether started on purpose (a rollout)
    # or by mistake (a second controller on the same namespace).
    return replica_id or socket.gethostname(), None
