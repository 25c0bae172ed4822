"""``--loglevel`` and ``--logformat``, the same on every component (as Argo CD's)."""

from __future__ import annotations

import typer

from argosy.cli.commands.backend import CliError

LOG_LEVEL = typer.Option("info", "--loglevel", help="debug, info, warn or error.")
LOG_FORMAT = typer.Option("text", "--logformat", help="text (key=value) or json.")


def setup_logging(level: str, fmt: str) -> None:
    from argosy.logs import configure

    try:
        configure(level, fmt)
    except ValueError as exc:
        raise CliError(str(exc)) from None
