"""``argosy app actions list|run``: resource actions (restart, pause, resume, ...), as ``argocd app actions``.

``list`` shows, for each of the app's resources matching ``--kind`` (and
``--resource-name``, ``--namespace``, ``--group``), the actions it offers
(``GROUP KIND NAME ACTION DISABLED``); ``run`` runs one action on every
matching resource (``--all`` is needed when several match, as in Argo CD).
Both go through the server's API, which checks
``applications, action/<group>/<kind>/<action>``.
"""

from __future__ import annotations

import typer

from argosy.cli.client import cli_errors, open_backend
from argosy.cli.commands.backend import Backend, CliError, Obj
from argosy.cli.output import check_format, print_object, table

actions_app = typer.Typer(help="Manage resource actions.", no_args_is_help=True)

KIND = typer.Option(..., "--kind", help="Kind of the resource (e.g. Deployment).")
NAME = typer.Option("", "--resource-name", help="Name of the resource.")
NAMESPACE = typer.Option("", "--namespace", help="Namespace of the resource.")
GROUP = typer.Option("", "--group", help="API group of the resource (apps for a Deployment).")


def _matching(
    backend: Backend, app: str, kind: str, name: str, namespace: str, group: str | None
) -> list[Obj]:
    found = []
    for r in (backend.get_app(app).get("status") or {}).get("resources") or []:
        if r.get("kind") != kind or (name and r.get("name") != name):
            continue
        if (namespace and r.get("namespace") != namespace) or (group and r.get("group", "") != group):
            continue
        found.append(
            {
                "namespace": r.get("namespace", ""),
                "resourceName": r.get("name", ""),
                "group": r.get("group", ""),
                "kind": kind,
                "version": r.get("version", ""),
            }
        )
    if not found:
        what = f"{kind} {name}".strip()
        raise CliError(f"application '{app}' has no resource {what} (see 'argosy app resources {app}')")
    return found


@actions_app.command("list")
def list_cmd(
    ctx: typer.Context,
    app: str = typer.Argument(..., help="Application name."),
    kind: str = KIND,
    name: str = NAME,
    namespace: str = NAMESPACE,
    group: str = GROUP,
    output: str = typer.Option("", "-o", "--output", help="Output format: wide|json|yaml."),
) -> None:
    """List the actions the app's resources of a kind offer."""
    with cli_errors():
        check_format(output, ("wide", "json", "yaml"))
        backend = open_backend(ctx)
        rows: list[list[str]] = []
        items: list[Obj] = []
        for ref in _matching(backend, app, kind, name, namespace, group):
            for action in backend.resource_actions(app, ref):
                items.append({**ref, **action})
                disabled = "true" if action.get("disabled") else "false"
                rows.append([ref["group"], kind, ref["resourceName"], str(action.get("name")), disabled])
        if output in ("json", "yaml"):
            print_object({"items": items}, output)
        else:
            typer.echo(table(["GROUP", "KIND", "NAME", "ACTION", "DISABLED"], rows))


@actions_app.command("run")
def run_cmd(
    ctx: typer.Context,
    app: str = typer.Argument(..., help="Application name."),
    action: str = typer.Argument(..., help="Action name (see 'argosy app actions list')."),
    kind: str = KIND,
    name: str = NAME,
    namespace: str = NAMESPACE,
    group: str = GROUP,
    all_: bool = typer.Option(False, "--all", help="Run on every matching resource."),
) -> None:
    """Run an action on a resource of the app."""
    with cli_errors():
        backend = open_backend(ctx)
        refs = _matching(backend, app, kind, name, namespace, group)
        if len(refs) > 1 and not all_:
            names = ", ".join(r["resourceName"] for r in refs)
            raise CliError(
                f"{len(refs)} resources of kind {kind} match ({names}): "
                "name one with --resource-name or pass --all"
            )
        for ref in refs:
            backend.run_resource_action(app, ref, action)
            typer.echo(f"{kind} {ref['resourceName']}: action '{action}' done")
