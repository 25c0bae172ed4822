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

from argosy.cli.client import cli_errors, open_backend
from argosy.cli.commands.backend import CliError, Obj
from argosy.cli.output import check_format, dump, print_items, print_object

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


def _generate(file: Path, clusters_file: Path | None, projects_file: Path | None) -> Any:
    from argosy.appset.generate import generate_applications
    from argosy.appset.generators import GenerateContext
    from argosy.appset.validate import known_clusters
    from argosy.engine.project import default_project

    appset = _load_appset(file)
    secrets = _documents(clusters_file)
    namespace = str((appset.get("metadata") or {}).get("namespace") or "argocd")
    projects: dict[str, Any] | None = None
    if projects_file is not None:
        projects = {"default": default_project(namespace)}  # Argo CD always has the default project
        projects.update({str((p.get("metadata") or {}).get("name")): p for p in _documents(projects_file)})
    names = None if projects is None else list(projects)
    ctx = GenerateContext(cluster_secrets=secrets, app_projects=names)
    return generate_applications(appset, ctx, known_clusters(secrets), projects, namespace)


def _report_errors(errors: list[str]) -> None:
    for error in errors:
        typer.echo(f"error: {error}", err=True)
    if errors:
        raise typer.Exit(1)


@appset_app.command("generate")
def generate_cmd(
    ctx: typer.Context,
    file: Path = FILE,
    offline: bool = OFFLINE,
    clusters_file: Path | None = CLUSTERS,
    projects_file: Path | None = PROJECTS,
    output: str = typer.Option("yaml", "-o", "--output", help="Output format: yaml|json."),
) -> None:
    """Print the Applications an ApplicationSet would generate (through the server, or --offline)."""
    with cli_errors():
        fmt = check_format(output, ("yaml", "json"))
        if offline:
            result = _generate(file, clusters_file, projects_file)
            applications, errors = result.applications, result.errors
        else:
            if clusters_file or projects_file:
                raise CliError("--clusters-file and --projects-file go with --offline")
            answer = open_backend(ctx).generate_appset(_load_appset(file))
            applications, errors = answer.get("applications") or [], answer.get("errors") or []
    if applications:
        if fmt == "json":
            typer.echo(json.dumps(applications, indent=2))
        else:
            typer.echo(yaml.safe_dump_all(applications, sort_keys=False), nl=False)
    _report_errors(errors)


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
        if not offline:
            raise CliError("params needs --offline (the server has no parameters route)")
        result = _generate(file, clusters_file, projects_file)
    typer.echo(dump(result.params, fmt))
    failed = tuple(f"generators[{i}]:" for i in result.failed_generators)
    _report_errors([e for e in result.errors if e.startswith(failed)])


OUTPUT = typer.Option("", "-o", "--output", help="Output format: wide|json|yaml|name.")
NAME = typer.Argument(..., help="ApplicationSet name.")
HEADERS = ["NAME", "PROJECT", "SYNCPOLICY", "CONDITIONS", "REPO", "PATH", "TARGET"]


def _row(appset: Obj) -> list[Any]:
    spec = appset.get("spec") or {}
    tspec = (spec.get("template") or {}).get("spec") or {}
    source: Obj = tspec.get("source") or (tspec.get("sources") or [{}])[0] or {}
    conditions = (appset.get("status") or {}).get("conditions") or []
    policy = (spec.get("syncPolicy") or {}).get("applicationsSync") or "nil"
    failing = [
        c["type"] for c in conditions if c.get("status") == "True" and c.get("type") == "ErrorOccurred"
    ]
    summary = (
        ",".join(f"{c.get('type')}:{c.get('status')}" for c in conditions) if not failing else "ErrorOccurred"
    )
    return [
        appset["metadata"]["name"],
        tspec.get("project") or "default",
        policy,
        summary,
        source.get("repoURL", ""),
        source.get("path", ""),
        source.get("targetRevision", ""),
    ]


def _details(appset: Obj) -> str:
    status = appset.get("status") or {}
    lines = [f"Name:               {appset['metadata']['namespace']}/{appset['metadata']['name']}"]
    row = _row(appset)
    lines += [
        f"Project:            {row[1]}",
        f"Sync Policy:        {row[2]}",
        f"Repo:               {row[4]}",
    ]
    lines += [
        f"Path:               {row[5]}",
        f"Target:             {row[6]}",
        "",
        "CONDITION\tSTATUS\tMESSAGE",
    ]
    for cond in status.get("conditions") or []:
        lines.append(f"{cond.get('type')}\t{cond.get('status')}\t{cond.get('message', '')}")
    if status.get("resources"):
        lines += ["", "APPLICATION\tSYNC\tHEALTH"]
        for res in status["resources"]:
            lines.append(
                f"{res.get('name')}\t{res.get('status')}\t{(res.get('health') or {}).get('status', '')}"
            )
    return "\n".join(lines)


@appset_app.command("list")
def list_cmd(
    ctx: typer.Context,
    output: str = OUTPUT,
    project: list[str] = typer.Option([], "-p", "--project", help="Only ApplicationSets of these projects."),
    selector: str = typer.Option("", "-l", "--selector", help="Label selector."),
) -> None:
    """List ApplicationSets."""
    with cli_errors():
        check_format(output)
        print_items(open_backend(ctx).list_appsets(project, selector), output, HEADERS, _row)


@appset_app.command("get")
def get_cmd(ctx: typer.Context, name: str = NAME, output: str = OUTPUT) -> None:
    """Show an ApplicationSet, its conditions and its Applications' sync and health."""
    with cli_errors():
        check_format(output)
        appset = open_backend(ctx).get_appset(name)
        if not print_object(appset, output):
            typer.echo(_details(appset))


@appset_app.command("create")
def create_cmd(
    ctx: typer.Context,
    file: list[Path] = typer.Option(..., "-f", "--file", help="ApplicationSet manifest(s)."),
    upsert: bool = typer.Option(False, "--upsert", help="Replace an existing ApplicationSet's spec."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check only; store nothing."),
    output: str = OUTPUT,
) -> None:
    """Create ApplicationSets from files."""
    with cli_errors():
        check_format(output)
        backend = open_backend(ctx)
        for path in file:
            created = backend.create_appset(_load_appset(path), upsert, dry_run)
            if not print_object(created, output):
                verb = "would be created" if dry_run else "created"
                typer.echo(f"ApplicationSet '{created['metadata']['name']}' {verb}")


@appset_app.command("confirm-deletion")
def confirm_deletion_cmd(ctx: typer.Context, name: str = NAME) -> None:
    """Let a held mass deletion proceed (the ApplicationSet's condition lists what goes)."""
    with cli_errors():
        answer = open_backend(ctx).confirm_appset_deletion(name)
        typer.echo(f"confirmed deletion of {answer.get('count')} Applications of ApplicationSet '{name}'")


@appset_app.command("delete")
def delete_cmd(
    ctx: typer.Context,
    names: list[str] = typer.Argument(..., help="ApplicationSet name(s)."),
    yes: bool = typer.Option(False, "-y", "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete ApplicationSets (their Applications are deleted with them, as their owner)."""
    with cli_errors():
        backend = open_backend(ctx)
        for name in names:
            if not yes and not typer.confirm(
                f"Are you sure you want to delete '{name}' and all its Applications?", default=False
            ):
                continue
            backend.delete_appset(name)
            typer.echo(f"applicationset '{name}' deleted")
