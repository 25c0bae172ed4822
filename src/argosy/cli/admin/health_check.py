"""``argosy admin settings resource-overrides health``: what health would Argosy give these objects?

Try a Lua health script from ``argocd-cm`` (or the built-in rules) against
objects saved with ``kubectl get -o yaml``, before rolling the ConfigMap out::

    argosy admin settings resource-overrides health cert.yaml deploy.yaml --argocd-cm-path argocd-cm.yaml

prints one line per object, ``FILE: STATUS - MESSAGE``; ``-o json`` prints a
list of ``{file, status, message}``. No cluster and no server are needed.
A file that cannot be read is reported on its line (status null in JSON) and
makes the command exit 1; an unreadable ConfigMap exits 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml

from argosy.engine.health import assess, group_kind
from argosy.settings.resource_customizations import (
    ResourceOverride,
    SettingsError,
    load_configmap_file,
    parse,
)

EXIT_BAD_FILE = 1
EXIT_BAD_SETTINGS = 2


class _JsonLikeLoader(yaml.SafeLoader):
    """Keeps timestamps as strings, the way objects come from the Kubernetes API."""


_JsonLikeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _objects(path: Path) -> list[tuple[str, Any]]:
    """``(label, object)`` for each YAML document of a file (``file[2]`` from the second on)."""
    try:
        docs = [d for d in yaml.load_all(path.read_text(), Loader=_JsonLikeLoader) if d is not None]
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        detail = " ".join(str(exc).split())  # YAML errors span lines; keep one line per file
        raise ValueError(f"cannot read {path}: {detail}") from exc
    if not docs:
        raise ValueError(f"{path}: no object found; save one with 'kubectl get <kind> <name> -o yaml'")
    return [(str(path) if i == 0 else f"{path}[{i + 1}]", doc) for i, doc in enumerate(docs)]


def _check(label: str, obj: Any, overrides: dict[str, ResourceOverride]) -> dict[str, Any]:
    if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion"):
        return {
            "file": label,
            "status": None,
            "message": "not a Kubernetes object: apiVersion and kind are required",
            "error": True,
        }
    result = assess(obj, overrides)
    if result is None:
        group, kind = group_kind(obj)
        key = f"{group}_{kind}" if group else kind
        return {
            "file": label,
            "status": None,
            "message": f"{kind} has no built-in health; add resource.customizations.health.{key} to judge it",
        }
    return {"file": label, "status": result.status.value, "message": result.message}


def health(
    files: list[Path] = typer.Argument(..., help="Objects saved as YAML or JSON (kubectl get -o yaml)."),
    argocd_cm_path: Path | None = typer.Option(
        None,
        "--argocd-cm-path",
        help="argocd-cm ConfigMap (YAML) with the resource.customizations to use; "
        "without it only the built-in rules apply.",
    ),
    output: str = typer.Option("text", "--output", "-o", help="Output format: text or json."),
) -> None:
    """Print the health Argosy gives each object: built-in rules or argocd-cm Lua scripts."""
    if output not in ("text", "json"):
        typer.echo(f"--output must be text or json, not {output!r}", err=True)
        raise typer.Exit(EXIT_BAD_SETTINGS)
    overrides: dict[str, ResourceOverride] = {}
    if argocd_cm_path is not None:
        try:
            overrides = parse(load_configmap_file(argocd_cm_path))
        except SettingsError as exc:
            typer.echo(f"{exc} (from --argocd-cm-path)", err=True)
            raise typer.Exit(EXIT_BAD_SETTINGS) from exc
    rows: list[dict[str, Any]] = []
    for path in files:
        try:
            objects = _objects(path)
        except ValueError as exc:
            rows.append({"file": str(path), "status": None, "message": str(exc), "error": True})
            continue
        rows.extend(_check(label, obj, overrides) for label, obj in objects)
    errors = [bool(row.pop("error", False)) for row in rows]
    if output == "json":
        typer.echo(json.dumps(rows, indent=2))
    else:
        for row, error in zip(rows, errors, strict=True):
            status = row["status"] or ("error" if error else "no health")
            typer.echo(f"{row['file']}: {status}" + (f" - {row['message']}" if row["message"] else ""))
    if any(errors):
        raise typer.Exit(EXIT_BAD_FILE)
