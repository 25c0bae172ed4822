"""``argosy repo-server``: the repo service as its own process, HTTP on loopback.

It runs untrusted repository content (Helm templates, Kustomize plugins), so
it is meant to run without any cluster credentials; the controller sends each
request's repository credentials with the request.
"""

from __future__ import annotations

from pathlib import Path

import typer

from argosy.cli.client import cli_errors
from argosy.cli.commands.backend import CliError
from argosy.cli.commands.logflags import LOG_FORMAT, LOG_LEVEL, setup_logging
from argosy.engine.diff.quantity import parse_quantity
from argosy.engine.durations import parse_seconds


def repo_server(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback by default)."),
    port: int = typer.Option(8081, "--port", help="Port to listen on."),
    cache_dir: Path | None = typer.Option(None, "--cache-dir", help="Working copies and render cache."),
    exec_timeout: float = typer.Option(
        90.0,
        "--exec-timeout",
        envvar="ARGOSY_EXEC_TIMEOUT",
        help="Timeout of each git fetch/helm/kustomize call (s); the process group is killed.",
    ),
    git_request_timeout: float = typer.Option(
        15.0,
        "--git-request-timeout",
        envvar="ARGOSY_GIT_REQUEST_TIMEOUT",
        help="Timeout of each git ls-remote (s): a Git server down or hanging fails a refresh this fast.",
    ),
    metrics_port: int = typer.Option(8084, "--metrics-port", help="Prometheus /metrics port (0: off)."),
    revision_cache_expiration: str = typer.Option(
        "3m",
        "--revision-cache-expiration",
        envvar="ARGOCD_REPO_SERVER_REVISION_CACHE_EXPIRATION",
        help="Longest time a resolved branch/tag (ls-remote) is reused for periodic refreshes (Go duration).",
    ),
    parallelism_limit: int = typer.Option(
        0,
        "--parallelism-limit",
        min=0,
        envvar="ARGOCD_REPO_SERVER_PARALLELISM_LIMIT",
        help="Renders running at once (reposerver.parallelism.limit; 0: no limit).",
    ),
    allowed_networks: str = typer.Option(
        "",
        "--allowed-networks",
        envvar="ARGOCD_REPO_SERVER_ALLOWED_NETWORKS",
        help="CIDRs fetched from despite being loopback/link-local/unspecified (reposerver.allowed.networks; "
        "e.g. 127.0.0.0/8,::1/128). Cloud metadata addresses stay refused.",
    ),
    allowed_file_roots: str = typer.Option(
        "",
        "--allowed-file-roots",
        envvar="ARGOCD_REPO_SERVER_ALLOWED_FILE_ROOTS",
        help="Directories under which file:// repositories may be read (reposerver.allowed.file.roots).",
    ),
    max_combined_directory_manifests_size: str = typer.Option(
        "10M",
        "--max-combined-directory-manifests-size",
        envvar="ARGOCD_REPO_SERVER_MAX_COMBINED_DIRECTORY_MANIFESTS_SIZE",
        help="Largest combined size of a directory source's manifest files (a Kubernetes quantity).",
    ),
    log_level: str = LOG_LEVEL,
    log_format: str = LOG_FORMAT,
) -> None:
    """Serve the repo service's HTTP API (POST /api/v1/render)."""
    import uvicorn

    from argosy.repo.server import create_app
    from argosy.repo.service import RepoService
    from argosy.repo.urlpolicy import UrlPolicy

    with cli_errors():
        setup_logging(log_level, log_format)
        try:
            revision_cache = parse_seconds(revision_cache_expiration)
        except ValueError as exc:
            raise CliError(f"--revision-cache-expiration: {exc}") from None
        try:
            policy = UrlPolicy.from_settings(allowed_networks, allowed_file_roots)
        except ValueError as exc:
            raise CliError(f"--allowed-networks/--allowed-file-roots: {exc}") from None
        max_directory = parse_quantity(max_combined_directory_manifests_size)
        if max_directory is None or max_directory <= 0:
            raise CliError(
                f"--max-combined-directory-manifests-size: {max_combined_directory_manifests_size!r} "
                "is not a positive quantity (e.g. 10M, 50Mi)"
            )
    service = RepoService(
        cache_dir,
        timeout=exec_timeout,
        git_request_timeout=git_request_timeout,
        revision_cache_seconds=revision_cache,
        parallelism_limit=parallelism_limit,
        url_policy=policy,
        max_combined_directory_bytes=int(max_directory),
    )
    if metrics_port:
        from prometheus_client import start_http_server

        from argosy.repo.metrics import REGISTRY

        start_http_server(metrics_port, host, registry=REGISTRY)
    uvicorn.run(create_app(service), host=host, port=port, log_config=None)  # our log format
