"""``argosy proj``: AppProjects, their rules, sync windows and roles, as ``argocd proj``.

Each edit reads the project, changes one rule and writes it back, so the
server (or, with ``--core``, Argosy's own validation) refuses a change that
would make the project invalid before it is stored. ``proj windows list``
shows, for each window, whether it is active now, so "why did nothing sync?"
has an answer without reading cron expressions.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import typer
import yaml

from argosy.cli.client import cli_errors, open_backend
from argosy.cli.commands.backend import CliError, Obj
from argosy.cli.commands.projview import project_get_text, project_row, windows_rows
from argosy.cli.commands.tokens import token_lifetime
from argosy.cli.output import check_format, print_items, print_object, table

proj_app = typer.Typer(help="Manage projects.", no_args_is_help=True)
windows_app = typer.Typer(help="Manage a project's sync windows.", no_args_is_help=True)
role_app = typer.Typer(help="Manage a project's roles.", no_args_is_help=True)
proj_app.add_typer(windows_app, name="windows")
proj_app.add_typer(role_app, name="role")

OUTPUT = typer.Option("", "-o", "--output", help="Output format: wide|json|yaml|name.")
PROJECT = typer.Argument(..., help="Project name.")
HEADERS = [
    "NAME",
    "DESCRIPTION",
    "DESTINATIONS",
    "SOURCES",
    "CLUSTER-RESOURCE-WHITELIST",
    "NAMESPACE-RESOURCE-BLACKLIST",
    "SIGNATURE-KEYS",
    "ORPHANED-RESOURCES",
    "DESTINATION-SERVICE-ACCOUNTS",
]


def _edit(ctx: typer.Context, name: str, change: Callable[[Obj], None]) -> Obj:
    """Read project ``name``, apply ``change`` to its spec, write it back."""
    backend = open_backend(ctx)
    project = backend.get_project(name)
    wanted = copy.deepcopy(project)
    change(wanted.setdefault("spec", {}))
    if wanted.get("spec") == project.get("spec"):
        return project
    return backend.update_project(wanted)


@proj_app.command("list")
def list_cmd(ctx: typer.Context, output: str = OUTPUT) -> None:
    """List projects."""
    with cli_errors():
        check_format(output)
        print_items(open_backend(ctx).list_projects(), output, HEADERS, project_row)


@proj_app.command("get")
def get_cmd(ctx: typer.Context, name: str = PROJECT, output: str = OUTPUT) -> None:
    """Show a project's rules."""
    with cli_errors():
        check_format(output)
        project = open_backend(ctx).get_project(name)
        if not print_object(project, output):
            typer.echo(project_get_text(project))


def _destination(text: str) -> Obj:
    server, sep, namespace = text.partition(",")
    if not sep:
        raise CliError(
            f"--dest must be SERVER,NAMESPACE (e.g. https://kubernetes.default.svc,team-a), not {text!r}"
        )
    return {"server": server, "namespace": namespace}


def _group_kind(text: str, flag: str) -> Obj:
    group, sep, kind = text.rpartition("/")
    if not sep:
        raise CliError(f"{flag} must be GROUP/KIND (empty group for core kinds: /Namespace), not {text!r}")
    return {"group": group, "kind": kind}


@proj_app.command("create")
def create_cmd(
    ctx: typer.Context,
    name: str = typer.Argument("", help="Project name (or metadata.name of -f)."),
    file: Path | None = typer.Option(None, "-f", "--file", help="AppProject manifest."),
    description: str = typer.Option("", "--description", help="Description."),
    dest: list[str] = typer.Option([], "-d", "--dest", help="Allowed destination SERVER,NAMESPACE."),
    src: list[str] = typer.Option([], "-s", "--src", help="Allowed source repository (glob)."),
    allow_cluster_resource: list[str] = typer.Option([], "--allow-cluster-resource", help="GROUP/KIND."),
    deny_namespaced_resource: list[str] = typer.Option([], "--deny-namespaced-resource", help="GROUP/KIND."),
    source_namespaces: list[str] = typer.Option(
        [], "--source-namespaces", help="Namespaces apps may live in."
    ),
    orphaned_resources: bool = typer.Option(
        False, "--orphaned-resources", help="Warn on orphaned resources."
    ),
    upsert: bool = typer.Option(False, "--upsert", help="Replace an existing project's spec."),
) -> None:
    """Create a project from flags or a file."""
    with cli_errors():
        if file is not None:
            try:
                project = yaml.safe_load(file.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise CliError(f"cannot read {file}: {exc}") from None
            if not isinstance(project, dict) or project.get("kind") != "AppProject":
                raise CliError(f"{file} is not an AppProject manifest")
        else:
            project = {"apiVersion": "argoproj.io/v1alpha1", "kind": "AppProject", "metadata": {}, "spec": {}}
        if name:
            project.setdefault("metadata", {})["name"] = name
        if not (project.get("metadata") or {}).get("name"):
            raise CliError("missing project name: 'argosy proj create NAME'")
        spec = project.setdefault("spec", {})
        if description:
            spec["description"] = description
        for key, values in (
            ("destinations", [_destination(d) for d in dest]),
            ("sourceRepos", src),
            ("sourceNamespaces", source_namespaces),
            (
                "clusterResourceWhitelist",
                [_group_kind(g, "--allow-cluster-resource") for g in allow_cluster_resource],
            ),
            (
                "namespaceResourceBlacklist",
                [_group_kind(g, "--deny-namespaced-resource") for g in deny_namespaced_resource],
            ),
        ):
            if values:
                spec[key] = [*(spec.get(key) or []), *values]
        if orphaned_resources:
            spec["orphanedResources"] = {"warn": True}
        open_backend(ctx).create_project(project, upsert)
        typer.echo(f"project '{project['metadata']['name']}' created")


@proj_app.command("delete")
def delete_cmd(ctx: typer.Context, names: list[str] = typer.Argument(..., help="Project name(s).")) -> None:
    """Delete projects (refused while applications use them)."""
    with cli_errors():
        backend = open_backend(ctx)
        for name in names:
            backend.delete_project(name)
            typer.echo(f"project '{name}' deleted")


def _add(items: list[Obj] | list[str], item: Obj | str) -> None:
    if item not in items:
        items.append(item)  # type: ignore[arg-type]


def _remove(spec: Obj, key: str, item: Obj | str, what: str) -> None:
    items = spec.get(key) or []
    if item not in items:
        raise CliError(f"{what} is not in the project's {key}")
    spec[key] = [i for i in items if i != item]


@proj_app.command("add-source")
def add_source(
    ctx: typer.Context, project: str = PROJECT, url: str = typer.Argument(..., help="Repo URL (glob).")
) -> None:
    """Allow a source repository."""
    with cli_errors():
        _edit(ctx, project, lambda s: _add(s.setdefault("sourceRepos", []), url))


@proj_app.command("remove-source")
def remove_source(
    ctx: typer.Context, project: str = PROJECT, url: str = typer.Argument(..., help="Repo URL.")
) -> None:
    """Stop allowing a source repository."""
    with cli_errors():
        _edit(ctx, project, lambda s: _remove(s, "sourceRepos", url, f"source {url}"))


def _dest(server: str, namespace: str, by_name: bool) -> Obj:
    return {"name": server, "namespace": namespace} if by_name else {"server": server, "namespace": namespace}


@proj_app.command("add-destination")
def add_destination(
    ctx: typer.Context,
    project: str = PROJECT,
    server: str = typer.Argument(..., help="Cluster URL (or name with --name)."),
    namespace: str = typer.Argument(..., help="Namespace (glob)."),
    name: bool = typer.Option(False, "--name", help="SERVER is a cluster name."),
) -> None:
    """Allow a destination cluster and namespace."""
    with cli_errors():
        _edit(ctx, project, lambda s: _add(s.setdefault("destinations", []), _dest(server, namespace, name)))


@proj_app.command("remove-destination")
def remove_destination(
    ctx: typer.Context,
    project: str = PROJECT,
    server: str = typer.Argument(..., help="Cluster URL (or name with --name)."),
    namespace: str = typer.Argument(..., help="Namespace."),
    name: bool = typer.Option(False, "--name", help="SERVER is a cluster name."),
) -> None:
    """Stop allowing a destination."""
    with cli_errors():
        dest = _dest(server, namespace, name)
        _edit(ctx, project, lambda s: _remove(s, "destinations", dest, f"destination {server} {namespace}"))


LIST_OPTION = typer.Option("", "-l", "--list", help="Which list to edit: allow or deny.")


def _resource_cmd(
    ctx: typer.Context, project: str, group: str, kind: str, scope: str, allow: bool, which: str
) -> None:
    default = "allow" if scope == "cluster" else "deny"
    which = which or default
    if which not in ("allow", "deny"):
        raise CliError(f"--list must be 'allow' or 'deny', not {which!r}")
    key = f"{scope}Resource{'Whitelist' if which == 'allow' else 'Blacklist'}"
    add = allow == (which == "allow")
    item = {"group": group, "kind": kind}

    def change(spec: Obj) -> None:
        items = spec.setdefault(key, [])
        if add:
            _add(items, item)
        else:
            spec[key] = [i for i in items if i != item]

    _edit(ctx, project, change)
    verb = "added to" if add else "removed from"
    typer.echo(
        f"Group '{group}' and kind '{kind}' {verb} the {'allowed' if which == 'allow' else 'denied'} "
        f"{scope} resources of project '{project}'"
    )


GROUP = typer.Argument(..., help="API group ('' for core kinds).")
KIND = typer.Argument(..., help="Kind.")


@proj_app.command("allow-cluster-resource")
def allow_cluster(
    ctx: typer.Context, project: str = PROJECT, group: str = GROUP, kind: str = KIND, which: str = LIST_OPTION
) -> None:
    """Allow a cluster-scoped kind (cluster-scoped kinds are denied unless allowed)."""
    with cli_errors():
        _resource_cmd(ctx, project, group, kind, "cluster", True, which)


@proj_app.command("deny-cluster-resource")
def deny_cluster(
    ctx: typer.Context, project: str = PROJECT, group: str = GROUP, kind: str = KIND, which: str = LIST_OPTION
) -> None:
    """Deny a cluster-scoped kind."""
    with cli_errors():
        _resource_cmd(ctx, project, group, kind, "cluster", False, which)


@proj_app.command("allow-namespace-resource")
def allow_namespace(
    ctx: typer.Context, project: str = PROJECT, group: str = GROUP, kind: str = KIND, which: str = LIST_OPTION
) -> None:
    """Allow a namespaced kind (removes it from the deny list, or adds it to the allow list)."""
    with cli_errors():
        _resource_cmd(ctx, project, group, kind, "namespace", True, which)


@proj_app.command("deny-namespace-resource")
def deny_namespace(
    ctx: typer.Context, project: str = PROJECT, group: str = GROUP, kind: str = KIND, which: str = LIST_OPTION
) -> None:
    """Deny a namespaced kind."""
    with cli_errors():
        _resource_cmd(ctx, project, group, kind, "namespace", False, which)


# ------------------------------------------------------------------ windows
WINDOW_ID = typer.Argument(..., help="Window id (see 'proj windows list').")


@windows_app.command("list")
def windows_list(ctx: typer.Context, project: str = PROJECT, output: str = OUTPUT) -> None:
    """List the sync windows and whether each is active now."""
    with cli_errors():
        check_format(output, ("wide", "json", "yaml"))
        proj = open_backend(ctx).get_project(project)
        windows = (proj.get("spec") or {}).get("syncWindows") or []
        if output in ("json", "yaml"):
            print_object({"syncWindows": windows}, output)
            return
        headers = [
            "ID",
            "STATUS",
            "KIND",
            "SCHEDULE",
            "DURATION",
            "APPLICATIONS",
            "NAMESPACES",
            "CLUSTERS",
            "MANUALSYNC",
            "TIMEZONE",
            "USEANDOPERATOR",
        ]
        typer.echo(table(headers, windows_rows(windows, datetime.now(UTC))))


@windows_app.command("add")
def windows_add(
    ctx: typer.Context,
    project: str = PROJECT,
    kind: str = typer.Option(..., "-k", "--kind", help="allow or deny."),
    schedule: str = typer.Option(..., "--schedule", help="Cron schedule (5 fields), e.g. '0 6 * * *'."),
    duration: str = typer.Option(..., "--duration", help="How long it stays open, e.g. 1h30m."),
    applications: list[str] = typer.Option([], "--applications", help="Application name globs."),
    namespaces: list[str] = typer.Option([], "--namespaces", help="Destination namespace globs."),
    clusters: list[str] = typer.Option([], "--clusters", help="Destination cluster globs."),
    manual_sync: bool = typer.Option(False, "--manual-sync", help="Let manual syncs through."),
    time_zone: str = typer.Option("", "--time-zone", help="IANA time zone (default UTC)."),
    use_and_operator: bool = typer.Option(False, "--use-and-operator", help="All selectors must match."),
    description: str = typer.Option("", "--description", help="Description."),
) -> None:
    """Add a sync window."""
    with cli_errors():
        window: Obj = {"kind": kind, "schedule": schedule, "duration": duration}
        for key, value in (
            ("applications", applications),
            ("namespaces", namespaces),
            ("clusters", clusters),
            ("manualSync", manual_sync),
            ("timeZone", time_zone),
            ("andOperator", use_and_operator),
            ("description", description),
        ):
            if value:
                window[key] = value
        _edit(ctx, project, lambda s: s.setdefault("syncWindows", []).append(window))


def _window_edit(
    ctx: typer.Context, project: str, window_id: int, change: Callable[[list[Obj], int], None]
) -> None:
    def apply(spec: Obj) -> None:
        windows = spec.get("syncWindows") or []
        if not 0 <= window_id < len(windows):
            raise CliError(
                f"project '{project}' has no sync window {window_id} (see 'argosy proj windows list')"
            )
        change(windows, window_id)

    _edit(ctx, project, apply)


@windows_app.command("delete")
def windows_delete(ctx: typer.Context, project: str = PROJECT, window_id: int = WINDOW_ID) -> None:
    """Delete a sync window."""
    with cli_errors():
        _window_edit(ctx, project, window_id, lambda ws, i: ws.__delitem__(i))


@windows_app.command("enable-manual-sync")
def windows_enable_manual(ctx: typer.Context, project: str = PROJECT, window_id: int = WINDOW_ID) -> None:
    """Let manual syncs through this window."""
    with cli_errors():
        _window_edit(ctx, project, window_id, lambda ws, i: ws[i].__setitem__("manualSync", True))


@windows_app.command("disable-manual-sync")
def windows_disable_manual(ctx: typer.Context, project: str = PROJECT, window_id: int = WINDOW_ID) -> None:
    """Make this window apply to manual syncs too."""
    with cli_errors():
        _window_edit(ctx, project, window_id, lambda ws, i: ws[i].pop("manualSync", None))


# -------------------------------------------------------------------- roles
ROLE = typer.Argument(..., help="Role name.")


def _role(spec: Obj, project: str, role: str) -> Obj:
    for r in spec.get("roles") or []:
        if r.get("name") == role:
            return dict(r)
    raise CliError(
        f"role '{role}' does not exist in project '{project}': 'argosy proj role create {project} {role}'"
    )


@role_app.command("create")
def role_create(
    ctx: typer.Context,
    project: str = PROJECT,
    role: str = ROLE,
    description: str = typer.Option("", "--description", help="Description."),
) -> None:
    """Create a project role."""
    with cli_errors():

        def change(spec: Obj) -> None:
            if any(r.get("name") == role for r in spec.get("roles") or []):
                raise CliError(f"role '{role}' already exists in project '{project}'")
            entry: Obj = {"name": role}
            if description:
                entry["description"] = description
            spec.setdefault("roles", []).append(entry)

        _edit(ctx, project, change)
        typer.echo(f"Role '{role}' created")


@role_app.command("add-policy")
def role_add_policy(
    ctx: typer.Context,
    project: str = PROJECT,
    role: str = ROLE,
    action: str = typer.Option(
        ..., "-a", "--action", help="get, create, update, delete, sync, override, ..."
    ),
    permission: str = typer.Option("allow", "-p", "--permission", help="allow or deny."),
    obj: str = typer.Option("*", "-o", "--object", help="Application name glob within the project."),
    resource: str = typer.Option("applications", "-r", "--resource", help="RBAC resource."),
) -> None:
    """Add a policy line to a project role."""
    with cli_errors():
        line = f"p, proj:{project}:{role}, {resource}, {action}, {project}/{obj}, {permission}"

        def change(spec: Obj) -> None:
            _role(spec, project, role)
            for r in spec["roles"]:
                if r.get("name") == role:
                    _add(r.setdefault("policies", []), line)

        _edit(ctx, project, change)


@role_app.command("create-token")
def role_create_token(
    ctx: typer.Context,
    project: str = PROJECT,
    role: str = ROLE,
    expires_in: str = typer.Option("0", "-e", "--expires-in", help="Lifetime, e.g. 24h, 30m, 0 = never."),
    token_id: str = typer.Option("", "-i", "--id", help="Token id (random when empty)."),
    token_only: bool = typer.Option(False, "-t", "--token-only", help="Print only the token."),
) -> None:
    """Create a JWT for a project role (printed once; it is not stored)."""
    with cli_errors():
        seconds = token_lifetime(expires_in)
        token = open_backend(ctx).create_project_token(project, role, seconds, token_id)
        if token_only:
            typer.echo(token)
            return
        typer.echo(f"Create token succeeded for proj:{project}:{role}.")
        typer.echo(f"  ID: {token_id or '(generated)'}")
        typer.echo(f"  Expires At: {'Never' if not seconds else f'in {expires_in}'}")
        typer.echo(f"Token: {token}")
