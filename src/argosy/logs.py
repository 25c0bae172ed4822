"""Logs an operator can follow: one line per event, with the application and the why.

Every component (``argosy controller``, ``argosy server``, ``argosy
repo-server``) takes Argo CD's ``--loglevel debug|info|warn|error`` and
``--logformat text|json``. Lines carry fields, as Argo CD's logrus lines do:

    time="2026-12-02T15:04:05Z" level=info msg="reconciled" application=argocd/web sync=Synced ...
    {"time": "...", "level": "info", "msg": "reconciled", "application": "argocd/web", ...}

Code adds fields with ``log.info("reconciled", extra=fields(application=..., sync=...))``;
:func:`fields` keeps them apart from :class:`logging.LogRecord`'s own attributes.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, Final

LEVELS: Final = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "error": logging.ERROR,
}
FORMATS: Final = ("text", "json")
_FIELDS = "argosy_fields"


def fields(**values: Any) -> dict[str, Any]:
    """``extra=`` for a log call: the structured fields of the line."""
    return {_FIELDS: values}


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _level(record: logging.LogRecord) -> str:
    return {"WARNING": "warning", "CRITICAL": "fatal"}.get(record.levelname, record.levelname.lower())


def _quote(value: Any) -> str:
    text = str(value)
    return json.dumps(text) if not text or any(c in text for c in ' "=\n\t') else text


class TextFormatter(logging.Formatter):
    """``key=value`` lines, as Argo CD's text logs."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [
            f"time={_quote(_time(record))}",
            f"level={_level(record)}",
            f"msg={_quote(record.getMessage())}",
        ]
        parts += [f"{k}={_quote(v)}" for k, v in getattr(record, _FIELDS, {}).items()]
        parts.append(f"logger={record.name}")
        if record.exc_info:
            parts.append(f"error={_quote(self.formatException(record.exc_info))}")
        return " ".join(parts)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log pipelines."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": _time(record), "level": _level(record), "msg": record.getMessage()}
        line.update(getattr(record, _FIELDS, {}))
        line["logger"] = record.name
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(level: str = "info", fmt: str = "text") -> None:
    """Set up the root logger for a component; a bad value names the flag and the choices."""
    if level.lower() not in LEVELS:
        raise ValueError(f"--loglevel {level!r}: use one of {', '.join(LEVELS)}")
    if fmt.lower() not in FORMATS:
        raise ValueError(f"--logformat {fmt!r}: use one of {', '.join(FORMATS)}")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt.lower() == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(LEVELS[level.lower()])
    # Libraries' chatter stays out of INFO (one line per HTTP request is uvicorn's access log).
    # casbin prints the whole RBAC policy at INFO on every load.
    for noisy in ("urllib3", "kubernetes", "httpx", "httpcore", "uvicorn.access", "casbin"):
        logging.getLogger(noisy).setLevel(max(LEVELS[level.lower()], logging.WARNING))
