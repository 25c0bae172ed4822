"""``--loglevel`` and ``--logformat``, the same on every component (as Argo CD's).

Also read from ``ARGOSY_LOGLEVEL``/``ARGOSY_LOGFORMAT``: the install bundles set them from each
component's Argo CD key in ``argocd-cmd-params-cm`` (``controller.log.level``,
``server.log.format``, ...), whose values Argosy accepts unchanged.
"""

from __future__ import annotations

import typer

from argosy.cli.commands.backend import CliError

LOG_LEVEL = typer.Option("info", "--loglevel", envvar="ARGOSY_LOGLEVEL", help="debug, info, warn or error.")
LOG_FORMAT = typer.Option("text", "--logformat", envvar="ARGOSY_LOGFORMAT", help="text (key=value) or json.")


def setup_logging(level: str, fmt: str) -> None:
    from argosy.logs import configure

    try:
        configure(level, fmt)
    except ValueError as exc:
        raise CliError(str(exc)) from None
