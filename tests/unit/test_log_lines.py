"""Log lines as Argo CD prints them: ``key=value`` text or one JSON object, with the fields."""

from __future__ import annotations

import json
import logging

import pytest

from argosy.logs import JsonFormatter, TextFormatter, configure, fields


def _record(msg: str, **values: object) -> logging.LogRecord:
    record = logging.LogRecord("argosy.controller", logging.INFO, __file__, 1, msg, (), None)
    for key, value in fields(**values).items():
        setattr(record, key, value)
    return record


def test_text_lines_are_key_value_pairs_with_quoting() -> None:
    line = TextFormatter().format(_record("auto-sync skipped: prune is off", application="argocd/web", n=3))
    assert line.startswith('time="') or line.startswith("time=")
    assert ' level=info msg="auto-sync skipped: prune is off" application=argocd/web n=3 ' in line
    assert line.endswith("logger=argosy.controller")


def test_json_lines_carry_every_field() -> None:
    line = json.loads(JsonFormatter().format(_record("reconciled", application="argocd/web", sync="Synced")))
    assert line["msg"] == "reconciled" and line["level"] == "info"
    assert line["application"] == "argocd/web" and line["sync"] == "Synced"


@pytest.mark.parametrize(
    ("level", "fmt", "error"), [("loud", "text", "--loglevel"), ("info", "xml", "--logformat")]
)
def test_bad_flags_name_the_flag_and_the_choices(level: str, fmt: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        configure(level, fmt)
