"""``argosy account``: local accounts, passwords and API tokens, as ``argocd account``.

Accounts are declared in ``argocd-cm`` (``accounts.alice: apiKey, login``);
this command changes their passwords and tokens. ``update-password`` asks for
the current password of the logged-in user (Argo CD's rule: you prove who
you are even when changing someone else's password) and the new one twice;
flags exist for scripts. Tokens are printed once and never stored by the CLI.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from argosy.cli.client import cli_errors, log_in_again, open_backend
from argosy.cli.commands.backend import CliError, Obj
from argosy.cli.commands.tokens import token_lifetime
from argosy.cli.output import check_format, key_values, print_items, print_object

account_app = typer.Typer(help="Manage local accounts.", no_args_is_help=True)


def _when(epoch: object) -> str:
    if not epoch:
        return "never"
    return datetime.fromtimestamp(int(str(epoch)), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@account_app.command("list")
def list_cmd(
    ctx: typer.Context, output: str = typer.Option("", "-o", "--output", help="json|yaml|name.")
) -> None:
    """List accounts."""
    with cli_errors():
        check_format(output)

        def row(a: Obj) -> list[str]:
            return [
                str(a.get("name")),
                "true" if a.get("enabled", True) else "false",
                ", ".join(a.get("capabilities") or []),
            ]

        print_items(
            open_backend(ctx).list_accounts(),
            output,
            ["NAME", "ENABLED", "CAPABILITIES"],
            row,
            name=lambda a: str(a.get("name")),
        )


@account_app.command("get")
def get_cmd(
    ctx: typer.Context,
    account: str = typer.Option("", "-a", "--account", help="Account (default: the logged-in one)."),
    output: str = typer.Option("", "-o", "--output", help="json|yaml."),
) -> None:
    """Show an account and its tokens."""
    with cli_errors():
        check_format(output)
        backend = open_backend(ctx)
        name = account or str(backend.user_info().get("username") or "")
        info = backend.get_account(name)
        if print_object(info, output):
            return
        typer.echo(
            key_values(
                [
                    ("Name", name),
                    ("Enabled", info.get("enabled", True)),
                    ("Capabilities", ", ".join(info.get("capabilities") or [])),
                ],
                15,
            )
        )
        typer.echo("\nTokens:")
        rows = [
            [t.get("id"), _when(t.get("issuedAt")), _when(t.get("expiresAt"))]
            for t in info.get("tokens") or []
        ]
        from argosy.cli.output import table

        typer.echo(table(["ID", "ISSUED AT", "EXPIRING AT"], rows) if rows else "NONE")


@account_app.command("update-password")
def update_password_cmd(
    ctx: typer.Context,
    account: str = typer.Option("", "--account", help="Account to change (default: the logged-in one)."),
    current_password: str = typer.Option("", "--current-password", help="Password of the logged-in user."),
    new_password: str = typer.Option("", "--new-password", help="New password."),
) -> None:
    """Change an account's password (the logged-in user's current password is required).

    Changing your own password ends your sessions on the server; the CLI then logs
    in again with the new password and stores the new session in the context.
    """
    with cli_errors():
        backend = open_backend(ctx)
        me = str(backend.user_info().get("username") or "")
        name = account or me
        if not name:
            raise CliError("not logged in: run 'argosy login' or pass --account")
        if not current_password:
            current_password = typer.prompt("*** Enter password of currently logged in user", hide_input=True)
        if not new_password:
            new_password = typer.prompt(
                f"*** Enter new password for user {name}",
                hide_input=True,
                confirmation_prompt="*** Confirm new password",
            )
        backend.update_password(name, current_password, new_password)
        typer.echo(f"Password updated for account '{name}'")
        if name == me and log_in_again(ctx, name, new_password):
            typer.echo(f"Logged in again as '{name}': the context's session was renewed")


@account_app.command("can-i")
def can_i_cmd(
    ctx: typer.Context,
    action: str = typer.Argument(..., help="get, create, update, delete, sync, override, action/..."),
    resource: str = typer.Argument(..., help="applications, projects, clusters, repositories, ..."),
    subresource: str = typer.Argument("", help="The object, e.g. 'default/guestbook' or '*'."),
) -> None:
    """Whether the logged-in user may do ACTION on RESOURCE (SUBRESOURCE); prints yes or no."""
    with cli_errors():
        typer.echo(open_backend(ctx).can_i(action, resource, subresource or "*"))


@account_app.command("generate-token")
def generate_token_cmd(
    ctx: typer.Context,
    account: str = typer.Option("", "-a", "--account", help="Account (default: the logged-in one)."),
    expires_in: str = typer.Option("0", "-e", "--expires-in", help="Lifetime, e.g. 24h (0 = never)."),
    token_id: str = typer.Option("", "--id", help="Token id (random when empty)."),
) -> None:
    """Generate an API token (printed once)."""
    with cli_errors():
        seconds = token_lifetime(expires_in)
        backend = open_backend(ctx)
        name = account or str(backend.user_info().get("username") or "")
        typer.echo(backend.create_account_token(name, seconds, token_id))


@account_app.command("get-user-info")
def user_info_cmd(
    ctx: typer.Context, output: str = typer.Option("", "-o", "--output", help="json|yaml.")
) -> None:
    """Show who the current session belongs to."""
    with cli_errors():
        check_format(output)
        info = open_backend(ctx).user_info()
        if print_object(info, output):
            return
        typer.echo(
            key_values(
                [
                    ("Logged In", "true" if info.get("loggedIn") else "false"),
                    ("Username", info.get("username", "")),
                    ("Issuer", info.get("iss", "")),
                    ("Groups", ", ".join(info.get("groups") or [])),
                ],
                11,
            )
        )
