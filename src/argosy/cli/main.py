"""Entry point of the ``argosy`` command: wires the command groups together."""

from __future__ import annotations

import typer

from argosy import __version__
from argosy.cli.account import account_app
from argosy.cli.admin import admin_app
from argosy.cli.app import app_app
from argosy.cli.cluster import cluster_app
from argosy.cli.controller_cmd import controller
from argosy.cli.dev import dev_app
from argosy.cli.login import context, login, logout
from argosy.cli.login import version as version_with_server
from argosy.cli.proj import proj_app
from argosy.cli.repo import repo_app
from argosy.cli.repo_server import repo_server
from argosy.cli.server_cmd import server

app = typer.Typer(
    name="argosy",
    help="Argosy: GitOps continuous delivery for Kubernetes (Argo CD compatible).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(dev_app, name="dev")
app.add_typer(admin_app, name="admin")
app.command("repo-server")(repo_server)
app.command("server")(server)
app.command("controller")(controller)
app.command("login")(login)
app.command("logout")(logout)
app.command("context")(context)
app.add_typer(app_app, name="app")
app.add_typer(proj_app, name="proj")
app.add_typer(repo_app, name="repo")
app.add_typer(cluster_app, name="cluster")
app.add_typer(account_app, name="account")
app.command("version")(version_with_server)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"argosy {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Argosy keeps Kubernetes clusters in sync with what Git says."""


def main() -> None:
    app()
