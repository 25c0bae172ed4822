"""``argosy controller``: run the application controller until interrupted."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import typer

from argosy.cli.client import cli_errors
from argosy.cli.commands.logflags import LOG_FORMAT, LOG_LEVEL, setup_logging
from argosy.controller.bootstrap import bootstrap
from argosy.controller.manager import Controller
from argosy.controller.metrics import MetricsEndpoint
from argosy.kube.clients import KubeClient
from argosy.repo import HttpRepoClient, RepoService
from argosy.repo.metrics import REGISTRY as REPO_METRICS
from argosy.settings.clusters import default_kubeconfig, in_cluster_config, running_in_cluster


def controller(
    namespace: str = typer.Option("argocd", "--namespace", "-n", help="Control-plane namespace."),
    kubeconfig: Path | None = typer.Option(
        None, "--kubeconfig", help="Kubeconfig (default: in-cluster or ~/.kube/config)."
    ),
    context: str = typer.Option("", "--context", help="Kubeconfig context."),
    status_processors: int = typer.Option(4, "--status-processors", min=1, help="Workers comparing apps."),
    operation_processors: int = typer.Option(
        2, "--operation-processors", min=1, help="Workers running syncs."
    ),
    log_level: str = LOG_LEVEL,
    log_format: str = LOG_FORMAT,
    repo_server: str = typer.Option(
        "", "--repo-server", help="URL of `argosy repo-server` (default: render in-process)."
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
    client = KubeClient(in_cluster)
    bootstrap(client, namespace)

    renderer = HttpRepoClient(repo_server) if repo_server else RepoService()
    ctl = Controller(
        client,
        renderer,
        namespace=namespace,
        status_workers=status_processors,
        operation_workers=operation_processors,
        in_cluster=in_cluster,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    ctl.start()
    if metrics_port:  # the in-process repo service's git metrics are served beside the controller's
        MetricsEndpoint(ctl.metrics.exposition(REPO_METRICS), metrics_address, metrics_port).start()
    logging.getLogger("argosy.controller").info("controller running in namespace %s", namespace)
    stop.wait()
    ctl.stop()
