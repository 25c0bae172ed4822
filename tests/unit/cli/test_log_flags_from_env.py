"""The install bundles set each component's log level/format from argocd-cmd-params-cm through
ARGOSY_LOGLEVEL/ARGOSY_LOGFORMAT; a flag on the command line still wins."""

from __future__ import annotations

import typer
from typer.testing import CliRunner

from argosy.cli.commands.logflags import LOG_FORMAT, LOG_LEVEL

app = typer.Typer()


@app.command()
def component(log_level: str = LOG_LEVEL, log_format: str = LOG_FORMAT) -> None:
    print(f"{log_level} {log_format}")


def test_log_flags_come_from_the_environment_unless_given() -> None:
    runner = CliRunner()
    env = {"ARGOSY_LOGLEVEL": "debug", "ARGOSY_LOGFORMAT": "json"}
    assert runner.invoke(app, [], env=env).output.strip() == "debug json"
    assert runner.invoke(app, ["--loglevel", "warn"], env=env).output.strip() == "warn json"
    assert runner.invoke(app, [], env={"ARGOSY_LOGLEVEL": None, "ARGOSY_LOGFORMAT": None}).output.strip() == (
        "info text"
    )
