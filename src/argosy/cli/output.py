"""How results are printed: aligned tables as ``argocd`` prints them, or ``-o json|yaml|name|wide``.

Tables are plain text (columns padded with two spaces, like Go's tabwriter
in ``argocd``), so ``grep``, ``awk`` and ``column`` keep working on them and a
terminal's width never truncates a column. ``-o json``/``yaml`` print the
API objects unchanged (scripts get every field), ``-o name`` one name per
line, ``-o wide`` the table with extra columns where a command has them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import typer
import yaml

from argosy.cli.commands.backend import CliError

FORMATS = ("wide", "json", "yaml", "name")
Row = Sequence[Any]


def check_format(output: str, allowed: Sequence[str] = FORMATS) -> str:
    if output and output not in allowed:
        raise CliError(f"unknown output format: {output} (use one of {', '.join(allowed)})")
    return output


def cell(value: Any) -> str:
    """A value as a table cell: lists joined with commas, None/empty as nothing."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(cell(v) for v in value)
    return str(value).replace("\n", " ")


def table(headers: Sequence[str], rows: Sequence[Row]) -> str:
    """Columns padded to their widest cell plus two spaces; no trailing spaces."""
    cells = [[cell(c) for c in headers]] + [[cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for r in cells:
        line = "  ".join(c.ljust(widths[i]) for i, c in enumerate(r))
        lines.append(line.rstrip())
    return "\n".join(lines)


def dump(obj: Any, output: str) -> str:
    if output == "json":
        return json.dumps(obj, indent=2, sort_keys=False)
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False).rstrip("\n")


def print_items(
    items: Sequence[dict[str, Any]],
    output: str,
    headers: Sequence[str],
    row: Callable[[dict[str, Any]], Row],
    *,
    name: Callable[[dict[str, Any]], str] | None = None,
    wide_headers: Sequence[str] = (),
    wide_row: Callable[[dict[str, Any]], Row] | None = None,
) -> None:
    """Print a list in the requested format (the table when ``output`` is empty)."""
    if output in ("json", "yaml"):
        typer.echo(dump(list(items), output))
    elif output == "name":
        for item in items:
            typer.echo(name(item) if name else cell((item.get("metadata") or {}).get("name")))
    elif output == "wide" and wide_row is not None:
        typer.echo(table([*headers, *wide_headers], [[*row(i), *wide_row(i)] for i in items]))
    else:
        typer.echo(table(headers, [row(i) for i in items]))


def print_object(obj: dict[str, Any], output: str) -> bool:
    """Print ``obj`` as json/yaml/name when asked; False means the caller prints its own view."""
    if output in ("json", "yaml"):
        typer.echo(dump(obj, output))
        return True
    if output == "name":
        typer.echo(cell((obj.get("metadata") or {}).get("name") or obj.get("name")))
        return True
    return False


def key_values(pairs: Sequence[tuple[str, Any]], width: int = 0) -> str:
    """``Label:  value`` lines with values aligned, as ``argocd app get`` prints its header."""
    width = width or max((len(k) for k, _ in pairs), default=0) + 2
    return "\n".join(f"{(k + ':').ljust(width)}{cell(v)}".rstrip() for k, v in pairs)


def parse_time(text: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def format_time(text: str) -> str:
    """An RFC 3339 timestamp as argocd prints it (``2024-05-01 10:00:00 +0000 UTC``)."""
    moment = parse_time(text)
    if moment is None:
        return text
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")


def duration(start: str, end: str = "") -> str:
    """Go-style duration (``1m5s``) between two timestamps (now when ``end`` is empty)."""
    a = parse_time(start)
    if a is None:
        return ""
    b = parse_time(end) or datetime.now(UTC)
    seconds = max(0, int((b - a).total_seconds()))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return (f"{h}h" if h else "") + (f"{m}m" if h or m else "") + f"{s}s"


def short_sha(revision: str) -> str:
    """The 7-character form of a commit SHA; other revisions (tags, chart versions) unchanged."""
    if len(revision) == 40 and all(c in "0123456789abcdef" for c in revision):
        return revision[:7]
    return revision
