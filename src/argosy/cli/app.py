"""``argosy app``: create, inspect, change, sync and delete Applications, as ``argocd app``.

Same verbs, flags and columns as Argo CD's CLI (``app list`` prints
``NAME CLUSTER NAMESPACE PROJECT STATUS HEALTH SYNCPOLICY CONDITIONS REPO PATH
TARGET``). Syncs are requests the controller runs; ``app sync`` and ``app
wait`` follow the controller's progress until the operation ends and exit 1
when it fails or the ``--timeout`` passes. ``app diff`` exits 1 when live
differs from Git, for scripts, as ``argocd app diff``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
import yaml

from argosy.cli.app_actions import actions_app
from argosy.cli.client import cli_errors, err_console, open_backend
from argosy.cli.commands import appview
from argosy.cli.commands.appspec import (
    SourceFlags,
    apply_flags,
    labels_of,
    new_application,
    unset,
    with_app_flags,
)
from argosy.cli.commands.backend import EXIT_COMMAND_SPECIFIC, Backend, CliError, Obj
from argosy.cli.output import check_format, print_items, print_object, table

if TYPE_CHECKING:
    from argosy.cli.commands.progress import WaitFor

app_app = typer.Typer(help="Manage applications.", no_args_is_help=True)
app_app.add_typer(actions_app, name="actions")

OUTPUT = typer.Option("", "-o", "--output", help="Output format: wide|json|yaml|name.")
TIMEOUT = typer.Option(0, "--timeout", help="Seconds to wait (0: no limit).")


def _optional_project(backend: Backend, app: Obj) -> Obj | None:
    try:
        return backend.get_project(str((app.get("spec") or {}).get("project") or "default"))
    except CliError:
        return None


@app_app.command("list")
def list_cmd(
    ctx: typer.Context,
    output: str = OUTPUT,
    project: list[str] = typer.Option([], "-p", "--project", help="Only apps of these projects."),
    selector: str = typer.Option("", "-l", "--selector", help="Label selector (key=value,...)."),
) -> None:
    """List applications."""
    with cli_errors():
        check_format(output)
        apps = open_backend(ctx).list_apps(project, selector)
        print_items(apps, output, appview.LIST_HEADERS, appview.list_row, name=appview.qualified_name)


@app_app.command("get")
def get_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Application name."),
    output: str = OUTPUT,
    refresh: bool = typer.Option(False, "--refresh", help="Compare again with Git before showing."),
    hard_refresh: bool = typer.Option(False, "--hard-refresh", help="Render again, ignoring caches."),
) -> None:
    """Show an application: source, sync and health, sync window, operation, conditions, resources."""
    with cli_errors():
        check_format(output)
        backend = open_backend(ctx)
        app = backend.get_app(name, "hard" if hard_refresh else "normal" if refresh else "")
        if not print_object(app, output):
            typer.echo(appview.app_get_text(app, _optional_project(backend, app)))


@app_app.command("create")
@with_app_flags
def create_cmd(
    ctx: typer.Context,
    flags: SourceFlags,
    name: str = typer.Argument("", help="Application name (or metadata.name of -f)."),
    file: Path | None = typer.Option(None, "-f", "--file", help="Application manifest (YAML/JSON)."),
    label: list[str] = typer.Option([], "-l", "--label", help="Label key=value on the Application."),
    annotations: list[str] = typer.Option([], "--annotations", help="Annotation key=value."),
    app_namespace: str = typer.Option("", "-N", "--app-namespace", help="Namespace of the Application."),
    upsert: bool = typer.Option(False, "--upsert", help="Replace an existing application's spec."),
) -> None:
    """Create an application from flags or from a file (-f); flags override the file."""
    with cli_errors():
        if file is not None:
            try:
                docs = [d for d in yaml.safe_load_all(file.read_text(encoding="utf-8")) if d]
            except (OSError, yaml.YAMLError) as exc:
                raise CliError(f"cannot read {file}: {exc}") from None
            apps = [d for d in docs if isinstance(d, dict) and d.get("kind") == "Application"]
            if not apps:
                raise CliError(f"{file} holds no Application (kind: Application)")
        else:
            if not name:
                raise CliError("missing application name: 'argosy app create NAME --repo ... --path ...'")
            apps = [
                new_application(
                    name, app_namespace, labels_of(label, "--label"), labels_of(annotations, "--annotations")
                )
            ]
        backend = open_backend(ctx)
        for raw in apps:
            if name and file is not None:
                raw.setdefault("metadata", {})["name"] = name
            wanted = apply_flags(raw, flags)
            spec = wanted["spec"]
            spec.setdefault("project", "default")
            if not (spec.get("source") or {}).get("repoURL") and not spec.get("sources"):
                raise CliError("missing --repo: an application needs a source repository")
            created = backend.create_app(wanted, upsert)
            typer.echo(f"application '{created['metadata']['name']}' created")


@app_app.command("set")
@with_app_flags
def set_cmd(
    ctx: typer.Context, flags: SourceFlags, name: str = typer.Argument(..., help="Application name.")
) -> None:
    """Change an application's source, destination, sync policy or overrides."""
    with cli_errors():
        backend = open_backend(ctx)
        current = backend.get_app(name)
        wanted = apply_flags(current, flags)
        if wanted.get("spec") == current.get("spec"):
            return
        backend.update_app_spec(name, wanted["spec"])


@app_app.command("unset")
def unset_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Application name."),
    parameter: list[str] = typer.Option([], "-p", "--parameter", help="Helm parameter name to remove."),
    values: list[str] = typer.Option([], "--values", help="Helm values file to remove."),
    kustomize_image: list[str] = typer.Option([], "--kustomize-image", help="Kustomize image to remove."),
    nameprefix: bool = typer.Option(False, "--nameprefix", help="Remove the Kustomize namePrefix."),
    namesuffix: bool = typer.Option(False, "--namesuffix", help="Remove the Kustomize nameSuffix."),
    sync_option: list[str] = typer.Option([], "--sync-option", help="Sync option to remove."),
) -> None:
    """Remove overrides (Helm parameters and values, Kustomize images and affixes, sync options)."""
    with cli_errors():
        backend = open_backend(ctx)
        current = backend.get_app(name)
        wanted, changed = unset(
            current,
            parameters=parameter,
            values=values,
            kustomize_images=kustomize_image,
            name_prefix=nameprefix,
            name_suffix=namesuffix,
            sync_options=sync_option,
        )
        if changed:
            backend.update_app_spec(name, wanted["spec"])


def _watch(backend: Backend, name: str, want: WaitFor, timeout: int) -> Obj:
    from rich.console import Console  # only commands that wait pay for Rich's live display

    from argosy.cli.commands.progress import Watcher

    console = Console(highlight=False)
    return Watcher(lambda: backend.get_app(name), console).wait(want, float(timeout))


@app_app.command("sync")
def sync_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Application name."),
    revision: str = typer.Option("", "--revision", help="Sync to this revision instead of the target."),
    prune: bool = typer.Option(False, "--prune", help="Delete resources no longer in Git."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Preview only: nothing is changed."),
    force: bool = typer.Option(
        False, "--force", help="Delete and re-create resources that cannot be patched."
    ),
    sync_option: list[str] = typer.Option([], "--sync-option", help="Sync option for this sync."),
    resource: list[str] = typer.Option([], "--resource", help="Only GROUP:KIND:NAME (or NAMESPACE/NAME)."),
    retry_limit: int = typer.Option(0, "--retry-limit", help="Retry a failed sync this many times."),
    async_: bool = typer.Option(False, "--async", help="Do not wait for the sync to finish."),
    timeout: int = TIMEOUT,
) -> None:
    """Sync an application to its target state and follow the progress (waves, hooks, resources)."""
    from argosy.cli.commands.progress import WaitFor

    with cli_errors():
        backend = open_backend(ctx)
        request: Obj = {"name": name, "revision": revision, "prune": prune, "dryRun": dry_run}
        if force:
            request["strategy"] = {"apply": {"force": True}}
        if sync_option:
            request["syncOptions"] = {"items": sync_option}
        if resource:
            request["resources"] = [_resource_ref(r) for r in resource]
        if retry_limit:
            request["retryStrategy"] = {"limit": retry_limit}
        backend.sync_app(name, request)
        if async_:
            typer.echo(f"Application '{name}' sync requested")
            return
        app = _watch(backend, name, WaitFor(operation=True), timeout)
        _print_result(backend, app)


def _resource_ref(text: str) -> Obj:
    parts = text.split(":")
    if len(parts) != 3:
        raise CliError(f"--resource must be GROUP:KIND:NAME (GROUP may be empty), not {text!r}")
    group, kind, name = parts
    namespace, _, short = name.rpartition("/")
    return {"group": group, "kind": kind, "name": short, "namespace": namespace}


def _print_result(backend: Backend, app: Obj) -> None:
    from argosy.cli.commands.progress import results_table

    typer.echo("")
    typer.echo(appview.app_get_text(app, _optional_project(backend, app)))
    results = results_table(app)
    if results:
        typer.echo("")
        typer.echo(results)


@app_app.command("wait")
def wait_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Application name."),
    sync: bool = typer.Option(False, "--sync", help="Wait until Synced."),
    health: bool = typer.Option(False, "--health", help="Wait until Healthy."),
    operation: bool = typer.Option(False, "--operation", help="Wait until no operation is running."),
    suspended: bool = typer.Option(False, "--suspended", help="Wait until Suspended."),
    degraded: bool = typer.Option(False, "--degraded", help="Wait until Degraded."),
    timeout: int = TIMEOUT,
) -> None:
    """Wait until the application is synced, healthy and idle (or what the flags choose)."""
    from argosy.cli.commands.progress import WaitFor

    with cli_errors():
        backend = open_backend(ctx)
        want = WaitFor(operation, sync, health, suspended, degraded).normalized()
        app = _watch(backend, name, want, timeout)
        _print_result(backend, app)


@app_app.command("diff")
def diff_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Application name."),
    refresh: bool = typer.Option(False, "--refresh", help="Compare again with Git first."),
    exit_code: bool = typer.Option(True, "--exit-code/--no-exit-code", help="Exit 1 when there is a diff."),
) -> None:
    """Show what differs between Git and the cluster, field by field (Secret values masked)."""
    from argosy.cli.commands.appdiff import diff_text

    with cli_errors():
        backend = open_backend(ctx)
        if refresh:
            backend.get_app(name, "normal")
        text, different = diff_text(backend.managed_resources(name))
        if text:
            typer.echo(text)
        if different and exit_code:
            raise typer.Exit(EXIT_COMMAND_SPECIFIC)


@app_app.command("manifests")
def manifests_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Application name."),
    source: str = typer.Option("git", "--source", help="git (rendered) or live."),
    revision: str = typer.Option("", "--revision", help="Render this revision instead of the target."),
) -> None:
    """Print the application's manifests, rendered from Git or as they run (Secret values masked)."""
    from argosy.cli.commands.appdiff import manifests_text

    with cli_errors():
        backend = open_backend(ctx)
        if source == "git":
            objects = backend.manifests(name, revision)
        elif source == "live":
            objects = [i["liveState"] for i in backend.managed_resources(name) if i.get("liveState")]
        else:
            raise CliError(f"--source must be 'git' or 'live', not {source!r}")
        typer.echo(manifests_text(objects))


@app_app.command("history")
def history_cmd(
    ctx: typer.Context, name: str = typer.Argument(..., help="Application name."), output: str = OUTPUT
) -> None:
    """Show the deployment history (the ids ``app rollback`` takes)."""
    with cli_errors():
        check_format(output, ("wide", "json", "yaml"))
        app = open_backend(ctx).get_app(name)
        history = (app.get("status") or {}).get("history") or []
        if output in ("json", "yaml"):
            print_object({"history": history}, output)
        else:
            typer.echo(appview.history_text(app))


@app_app.command("rollback")
def rollback_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Application name."),
    history_id: int = typer.Argument(-1, help="History id (default: the previous deployment)."),
    prune: bool = typer.Option(False, "--prune", help="Delete resources not in that revision."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Preview only."),
    timeout: int = TIMEOUT,
) -> None:
    """Roll back to a deployment of ``app history``; turns automated sync off, or it would undo it."""
    from argosy.cli.commands.progress import WaitFor

    with cli_errors():
        backend = open_backend(ctx)
        before = backend.get_app(name)
        if history_id < 0:
            history = (before.get("status") or {}).get("history") or []
            if len(history) < 2:
                raise CliError(f"application '{name}' has no previous deployment to roll back to")
            history_id = int(history[-2]["id"])
        backend.rollback_app(name, history_id, prune, dry_run)
        if ((before.get("spec") or {}).get("syncPolicy") or {}).get("automated") is not None and not dry_run:
            err_console.print(
                f"Automated sync of '{name}' was disabled so the rollback stays; re-enable it with "
                f"'argosy app set {name} --sync-policy automated'"
            )
        app = _watch(backend, name, WaitFor(operation=True), timeout)
        _print_result(backend, app)


@app_app.command("delete")
def delete_cmd(
    ctx: typer.Context,
    names: list[str] = typer.Argument(..., help="Application name(s)."),
    cascade: bool = typer.Option(True, "--cascade/--no-cascade", help="Also delete the app's resources."),
    propagation_policy: str = typer.Option(
        "foreground", "--propagation-policy", help="foreground or background."
    ),
    yes: bool = typer.Option(False, "-y", "--yes", help="Do not ask for confirmation."),
) -> None:
    """Delete applications (and, with --cascade, the default, their resources)."""
    with cli_errors():
        backend = open_backend(ctx)
        for name in names:
            what = " and all its resources" if cascade else ""
            if cascade:
                _print_deletion_preview(backend, name)
                what = " and the resources marked delete"
            if not yes and not typer.confirm(f"Are you sure you want to delete '{name}'{what}?"):
                typer.echo(f"The command to delete '{name}' was cancelled.")
                continue
            backend.delete_app(name, cascade, propagation_policy)
            typer.echo(f"application '{name}' deleted")


def _print_deletion_preview(backend: Backend, name: str) -> None:
    """List what the cascade will delete, and what it leaves because the app does not own it."""
    try:
        items = backend.deletion_preview(name)
    except CliError as exc:
        err_console.print(f"Cannot tell which resources the deletion of '{name}' will remove: {exc}")
        return
    if not items:
        typer.echo(f"Application '{name}' has no live resources to delete.")
        return
    deleting = sum(1 for i in items if i["action"] == "delete")
    typer.echo(
        f"Deleting application '{name}' deletes {deleting} and keeps {len(items) - deleting} resource(s):"
    )
    rows = [
        [i["action"].upper(), i["group"], i["kind"], i["namespace"], i["name"], i["reason"]] for i in items
    ]
    typer.echo(table(["ACTION", "GROUP", "KIND", "NAMESPACE", "NAME", "REASON"], rows))


@app_app.command("resources")
def resources_cmd(
    ctx: typer.Context, name: str = typer.Argument(..., help="Application name."), output: str = OUTPUT
) -> None:
    """List the application's resources."""
    with cli_errors():
        check_format(output, ("wide", "json", "yaml"))
        app = open_backend(ctx).get_app(name)
        if output in ("json", "yaml"):
            print_object({"resources": (app.get("status") or {}).get("resources") or []}, output)
        else:
            typer.echo(table(["GROUP", "KIND", "NAMESPACE", "NAME", "ORPHANED"], appview.resources_rows(app)))


@app_app.command("terminate-op")
def terminate_cmd(ctx: typer.Context, name: str = typer.Argument(..., help="Application name.")) -> None:
    """Stop the running operation (sync or rollback) of an application."""
    with cli_errors():
        open_backend(ctx).terminate_operation(name)
        typer.echo(f"Application '{name}' operation terminating")


@app_app.command("logs")
def logs_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Application name."),
    group: str = typer.Option("", "--group", help="Resource group of --kind (apps for a Deployment)."),
    kind: str = typer.Option("", "--kind", help="Resource kind (Pod, Deployment, StatefulSet, Job...)."),
    resource_name: str = typer.Option("", "--name", help="Resource name."),
    namespace: str = typer.Option("", "--namespace", help="Resource namespace (default: the app's)."),
    container: str = typer.Option("", "-c", "--container", help="Container (default: the Pod's first)."),
    follow: bool = typer.Option(False, "-f", "--follow", help="Keep streaming new lines."),
    tail: int = typer.Option(0, "--tail", help="Only the last N lines (0: all)."),
    since_seconds: int = typer.Option(0, "--since-seconds", help="Only lines of the last N seconds."),
    previous: bool = typer.Option(False, "-p", "--previous", help="The previous container's logs."),
) -> None:
    """Print the logs of the app's Pods: one Pod (--kind Pod --name P), a workload's (--kind
    Deployment --group apps --name D) or, with neither, all of them (at most 10), as
    ``argocd app logs``. Needs the ``logs, get`` permission."""
    with cli_errors():
        params = {"namespace": namespace, "container": container, "group": group, "kind": kind}
        params["resourceName"] = resource_name
        if tail > 0:
            params["tailLines"] = str(tail)
        if since_seconds > 0:
            params["sinceSeconds"] = str(since_seconds)
        if follow:
            params["follow"] = "true"
        if previous:
            params["previous"] = "true"
        for item in open_backend(ctx).pod_logs(name, {k: v for k, v in params.items() if v}):
            result = item.get("result") or {}
            if not result.get("last"):
                typer.echo(str(result.get("content") or ""))
