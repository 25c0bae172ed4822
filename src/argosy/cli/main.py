"""Entry point of the ``argosy`` command: the command groups, loaded only when used.

Start-up time is what every command pays, so nothing heavy is imported here:
each group's module (and the HTTP client, the Kubernetes client, FastAPI,
Rich tables...) is imported only when that group runs (:class:`LazyGroup`).

The global flags of ``argocd`` (``--server``, ``--auth-token``, ``--core``,
``--plaintext``, ``--insecure``, ``--grpc-web``, ``--config``,
``--argocd-context``, ``--kube-context``) belong to the root command and are
accepted anywhere on the line, as cobra's persistent flags are:
``argosy --server X app list``, ``argosy app --server X list`` and
``argosy app list --server X`` mean the same. A command that has an option of
the same name (``login --insecure``) keeps it (:func:`hoist_global_flags`).
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import typer
from typer import _click as click  # typer vendors click: its classes are what TyperGroup extends
from typer.core import TyperGroup

from argosy import __version__
from argosy.cli.commands.backend import Connection


@dataclass(frozen=True)
class _Entry:
    module: str
    attribute: str


#: Name -> where the command lives, in the order ``argosy --help`` lists them.
COMMANDS: dict[str, _Entry] = {
    "app": _Entry("argosy.cli.app", "app_app"),
    "appset": _Entry("argosy.cli.appset", "appset_app"),
    "proj": _Entry("argosy.cli.proj", "proj_app"),
    "repo": _Entry("argosy.cli.repo", "repo_app"),
    "cluster": _Entry("argosy.cli.cluster", "cluster_app"),
    "account": _Entry("argosy.cli.account", "account_app"),
    "login": _Entry("argosy.cli.login", "login"),
    "logout": _Entry("argosy.cli.login", "logout"),
    "context": _Entry("argosy.cli.login", "context"),
    "version": _Entry("argosy.cli.login", "version"),
    "admin": _Entry("argosy.cli.admin", "admin_app"),
    "controller": _Entry("argosy.cli.controller_cmd", "controller"),
    "applicationset-controller": _Entry("argosy.cli.appset_controller_cmd", "applicationset_controller"),
    "repo-server": _Entry("argosy.cli.repo_server", "repo_server"),
    "image-updater": _Entry("argosy.cli.image_updater", "image_updater_app"),
    "server": _Entry("argosy.cli.server_cmd", "server"),
    "dev": _Entry("argosy.cli.dev", "dev_app"),
}


@functools.cache
def load_command(name: str) -> click.Command | None:
    """The click command for ``name``, importing its module now (built once per process)."""
    entry = COMMANDS.get(name)
    if entry is None:
        return None
    target: Any = getattr(importlib.import_module(entry.module), entry.attribute)
    if not isinstance(target, typer.Typer):
        single = typer.Typer()
        single.command(name)(target)
        target = single
    command = typer.main.get_command(target)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """A root group that imports a command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_command(cmd_name)


app = typer.Typer(
    name="argosy",
    cls=LazyGroup,
    help="Argosy: GitOps continuous delivery for Kubernetes (Argo CD compatible).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"argosy {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
    server: str = typer.Option("", "--server", envvar="ARGOSY_SERVER", help="Argosy server address."),
    auth_token: str = typer.Option(
        "", "--auth-token", envvar="ARGOSY_AUTH_TOKEN", help="Authentication token (instead of the login)."
    ),
    core: bool = typer.Option(False, "--core", help="Run the API server in this process (kubeconfig)."),
    insecure: bool = typer.Option(False, "--insecure", help="Skip server certificate verification."),
    plaintext: bool = typer.Option(False, "--plaintext", help="Use plain HTTP (no TLS)."),
    grpc_web: bool = typer.Option(False, "--grpc-web", help="Accepted for argocd compatibility."),
    config: str = typer.Option("", "--config", help="Client config file (default ~/.config/argosy/config)."),
    argocd_context: str = typer.Option("", "--argocd-context", help="Context of the config file to use."),
    kube_context: str = typer.Option("", "--kube-context", help="Kubeconfig context (with --core)."),
) -> None:
    """Argosy keeps Kubernetes clusters in sync with what Git says."""
    ctx.obj = Connection(
        server=server,
        auth_token=auth_token,
        core=core,
        insecure=insecure,
        plaintext=plaintext,
        grpc_web=grpc_web,
        config=config,
        context=argocd_context,
        kube_context=kube_context,
    )


#: Global flag -> whether it takes a value.
GLOBAL_FLAGS: dict[str, bool] = {
    "--server": True,
    "--auth-token": True,
    "--config": True,
    "--argocd-context": True,
    "--kube-context": True,
    "--core": False,
    "--insecure": False,
    "--plaintext": False,
    "--grpc-web": False,
}


def _flag_name(token: str) -> str:
    return token.split("=", 1)[0] if token.startswith("--") else ""


def hoist_global_flags(argv: list[str], own_options: Callable[[list[str]], set[str]]) -> list[str]:
    """``argv`` with the global flags moved to the front, where the root command reads them.

    ``own_options(path)`` names the options of the command at ``path`` (e.g.
    ``["app", "list"]``); a global flag the invoked command declares itself is left
    where it is. Nothing after ``--`` is touched.
    """
    path: list[str] = []
    i = 0
    while i < len(argv):  # the command path: positional words before the first own option
        token = argv[i]
        if token == "--":
            break
        name = _flag_name(token)
        if name in GLOBAL_FLAGS:
            i += 2 if GLOBAL_FLAGS[name] and "=" not in token else 1
            continue
        if token.startswith("-"):
            break
        path.append(token)
        i += 1
    keep = own_options(path)
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        token = argv[i]
        if token == "--":
            rest.extend(argv[i:])
            break
        name = _flag_name(token)
        if name in GLOBAL_FLAGS and name not in keep:
            takes_value = GLOBAL_FLAGS[name] and "=" not in token
            front.extend(argv[i : i + 2] if takes_value else [token])
            i += 2 if takes_value else 1
            continue
        rest.append(token)
        i += 1
    return front + rest


def _own_options(path: list[str]) -> set[str]:
    """Option names of the command ``path`` names (as deep as it resolves), without the root's."""
    if not path:
        return set()
    command = load_command(path[0])
    for word in path[1:]:
        if not isinstance(command, TyperGroup):
            break
        sub = command.get_command(click.Context(command), word)
        if sub is None:
            break
        command = sub
    if command is None:
        return set()
    return {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    app(args=hoist_global_flags(args, _own_options), prog_name="argosy")
