"""Entry point of the ``argosy`` command: wires the command groups together."""

from __future__ import annotations

import typer

from argosy import __version__
from argosy.cli.admin import admin_app
from argosy.cli.controller_cmd import controller
from argosy.cli.dev import dev_app
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


@app.command("version")
def version_cmd() -> None:
    """Print the client version."""
    typer.echo(f"argosy {__version__}")


def main() -> None:
    app()
