"""``argosy admin initial-password``: the admin password the server generated on first start.

As ``argocd admin initial-password``: read with your kubeconfig from the Secret
``argocd-initial-admin-secret`` (key ``password``) of the control-plane
namespace, so it works before any login.
"""

from __future__ import annotations

from pathlib import Path

import typer

from argosy.cli.client import cli_errors
from argosy.cli.commands.backend import EXIT_CONNECTION_FAILURE, CliError
from argosy.model.constants import DEFAULT_NAMESPACE, INITIAL_ADMIN_SECRET


def initial_password(
    namespace: str = typer.Option(DEFAULT_NAMESPACE, "-n", "--namespace", help="Control-plane namespace."),
    kubeconfig: str = typer.Option("", "--kubeconfig", envvar="KUBECONFIG", help="Kubeconfig file."),
    kube_context: str = typer.Option("", "--kube-context", help="Kubeconfig context."),
) -> None:
    """Print the initial admin password (change it, then delete the Secret)."""
    from argosy.kube.clients import KubeClient
    from argosy.kube.errors import KubeError, http_status
    from argosy.settings.clusters import in_cluster_config
    from argosy.settings.secrets import secret_text

    with cli_errors():
        path = Path(kubeconfig.split(":")[0]).expanduser() if kubeconfig else None
        try:
            client = KubeClient(in_cluster_config(path, kube_context))
            secret = client.request("GET", f"/api/v1/namespaces/{namespace}/secrets/{INITIAL_ADMIN_SECRET}")
        except KubeError as exc:
            if http_status(exc) == 404:
                raise CliError(
                    f"Secret {INITIAL_ADMIN_SECRET} does not exist in namespace '{namespace}': the server "
                    "creates it on first start, and it is meant to be deleted once the admin password "
                    "was changed"
                ) from None
            raise CliError(
                f"cannot read Secret {INITIAL_ADMIN_SECRET}: {exc}", EXIT_CONNECTION_FAILURE
            ) from None
        password = secret_text(secret, what=f"Secret {INITIAL_ADMIN_SECRET!r}").get("password", "")
        if not password:
            raise CliError(f"Secret {INITIAL_ADMIN_SECRET} in namespace '{namespace}' has no 'password' key")
        typer.echo(password)
        typer.echo(
            "\n This password must be only used for first time login. We strongly recommend you update the "
            "password using `argosy account update-password`."
        )
