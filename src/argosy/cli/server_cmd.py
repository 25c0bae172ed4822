"""``argosy server``: the API server (REST + SSE), as ``argocd-server``."""

from __future__ import annotations

from pathlib import Path

import typer

from argosy.cli.client import cli_errors
from argosy.cli.commands.logflags import LOG_FORMAT, LOG_LEVEL, setup_logging


def server(
    namespace: str = typer.Option(
        "argocd", "--namespace", "-n", help="Control-plane namespace holding argocd-cm, argocd-secret, apps."
    ),
    kubeconfig: Path | None = typer.Option(
        None,
        "--kubeconfig",
        help="Kubeconfig of the control-plane cluster (default: in-cluster, else current).",
    ),
    context: str | None = typer.Option(None, "--context", help="Kubeconfig context to use."),
    address: str = typer.Option("0.0.0.0", "--address", help="Address to listen on."),
    port: int = typer.Option(8080, "--port", help="Port to listen on."),
    insecure: bool | None = typer.Option(
        None,
        "--insecure/--tls",
        help="Serve plain HTTP (default: server.insecure in argocd-cmd-params-cm, else HTTPS).",
    ),
    repo_server: str = typer.Option(
        "",
        "--repo-server",
        help="URL of `argosy repo-server` for app manifests and diffs (default: render in-process).",
    ),
    rootpath: str | None = typer.Option(
        None,
        "--rootpath",
        help="Serve the UI and API under this path prefix, e.g. /argosy behind a reverse proxy "
        "(default: server.rootpath in argocd-cmd-params-cm, else /).",
    ),
    log_level: str = LOG_LEVEL,
    log_format: str = LOG_FORMAT,
) -> None:
    """Serve the Argo CD compatible API and the web UI (at /); HTTPS with a self-signed certificate
    unless told otherwise."""
    from argosy.server.config import ServerConfig
    from argosy.server.run import serve

    with cli_errors():
        setup_logging(log_level, log_format)
    serve(
        ServerConfig(
            namespace=namespace,
            kubeconfig=kubeconfig,
            context=context,
            address=address,
            port=port,
            insecure=insecure,
            repo_server=repo_server,
            rootpath=rootpath,
        )
    )
