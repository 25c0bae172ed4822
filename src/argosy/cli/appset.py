"""``argosy appset``: check what an ApplicationSet would generate, before applying it.

``generate -f FILE --offline`` prints the Applications the controller would
create (errors as the controller reports them, and a non-zero exit);
``params -f FILE --offline -o json`` prints, for each entry of
``spec.generators``, the parameter sets it yields, to answer "which
parameters can my template use?" (e.g. ``nameNormalized``). Clusters and
projects come from files (``--clusters-file`` with cluster Secrets,
``--projects-file`` with AppProjects); the local ``in-cluster`` destination is
always known.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import yaml

from argosy.cli.client import cli_errors
from argosy.cli.commands.backend import CliError
from argosy.cli.output import check_format, dump

appset_app = typer.Typer(help="Manage ApplicationSets.", no_args_is_help=True)

FILE = typer.Option(..., "-f", "--file", help="ApplicationSet manifest (YAML or JSON).")
OFFLINE = typer.Option(False, "--offline", help="Generate locally; needs no cluster and no server.")
CLUSTERS = typer.Option(
    None, "--clusters-file", help="YAML with cluster Secrets (several documents or a List)."
)
PROJECTS = typer.Option(None, "--projects-file", help="YAML with AppProjects (several documents or a List).")


def _documents(path: Path | None) -> list[dict[str, Any]]:
    if path is None:
        return []
    try:
        docs = list(yaml.safe_load_all(path.read_text()))
    except (OSError, yaml.YAMLError) as exc:
        raise CliError(f"{path}: {exc}") from None
    out: list[dict[str, Any]] = []
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind", "").endswith("List"):
            out.extend(i for i in doc.get("items") or [] if isinstance(i, dict))
        elif isinstance(doc, dict):
            out.append(doc)
    return out


def _load_appset(path: Path) -> dict[str, Any]:
    docs = [d for d in _documents(path) if d.get("kind") == "ApplicationSet"]
    if len(docs) != 1:
        raise CliError(f"{path}: expected exactly one ApplicationSet, found {len(docs)}")
    return docs[0]


def _generate(file: Path, clusters_file: Path | None, projects_file: Path | None, offline: bool) -> Any:
    from argosy.appset.generate import generate_applications
    from argosy.appset.generators import GenerateContext
    from argosy.appset.validate import known_clusters

    if not offline:
        raise CliError("only --offline is available for now: generation through the server is not built yet")
    appset = _load_appset(file)
    secrets = _documents(clusters_file)
    projects = None
    if projects_file is not None:
        projects = [str((p.get("metadata") or {}).get("name")) for p in _documents(projects_file)]
        if "default" not in projects:
            projects.append("default")  # Argo CD always has the default project
    ctx = GenerateContext(cluster_secrets=secrets, app_projects=projects)
    return generate_applications(appset, ctx, known_clusters(secrets), projects)


def _report_errors(errors: list[str]) -> None:
    for error in errors:
        typer.echo(f"error: {error}", err=True)
    if errors:
        raise typer.Exit(1)


@appset_app.command("generate")
def generate_cmd(
    file: Path = FILE,
    offline: bool = OFFLINE,
    clusters_file: Path | None = CLUSTERS,
    projects_file: Path | None = PROJECTS,
    output: str = typer.Option("yaml", "-o", "--output", help="Output format: yaml|json."),
) -> None:
    """Print the Applications an ApplicationSet would generate."""
    with cli_errors():
        fmt = check_format(output, ("yaml", "json"))
        result = _generate(file, clusters_file, projects_file, offline)
    if result.applications:
        if fmt == "json":
            typer.echo(json.dumps(result.applications, indent=2))
        else:
            typer.echo(yaml.safe_dump_all(result.applications, sort_keys=False), nl=False)
    _report_errors(result.errors)


@appset_app.command("params")
def params_cmd(
    file: Path = FILE,
    offline: bool = OFFLINE,
    clusters_file: Path | None = CLUSTERS,
    projects_file: Path | None = PROJECTS,
    output: str = typer.Option("json", "-o", "--output", help="Output format: json|yaml."),
) -> None:
    """Print, for each generator, the parameter sets it yields (what the template may use)."""
    with cli_errors():
        fmt = check_format(output, ("yaml", "json"))
        result = _generate(file, clusters_file, projects_file, offline)
    typer.echo(dump(result.params, fmt))
    failed = tuple(f"generators[{i}]:" for i in result.failed_generators)
    _report_errors([e for e in result.errors if e.startswith(failed)])
