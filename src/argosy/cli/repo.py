"""``argosy repo``: repository credentials, stored as Argo CD stores them.

``repo add`` writes a Secret labelled ``argocd.argoproj.io/secret-type:
repository`` (through the server, or directly with ``--core``), so Argo CD and
Argosy read the same Secrets. Passwords and keys go into the Secret only:
they are never printed, and ``repo list`` shows whether credentials exist, not
what they are. Prefer ``--password-stdin``-like prompts over flags in shells
with history: omit ``--password`` with ``--username`` and you are asked.
"""

from __future__ import annotations

from pathlib import Path

import typer

from argosy.cli.client import cli_errors, open_backend
from argosy.cli.commands.backend import CliError, Obj
from argosy.cli.output import check_format, print_items

repo_app = typer.Typer(help="Manage repository connection settings.", no_args_is_help=True)

HEADERS = ["TYPE", "NAME", "REPO", "INSECURE", "OCI", "LFS", "CREDS", "STATUS", "MESSAGE", "PROJECT"]


def repo_row(r: Obj) -> list[str]:
    state = r.get("connectionState") or {}
    creds = bool(r.get("username") or r.get("hasCredentials") or r.get("inheritedCreds"))
    return [
        str(r.get("type") or "git"),
        str(r.get("name") or ""),
        str(r.get("repo") or ""),
        "true" if r.get("insecure") else "false",
        "true" if r.get("enableOCI") else "false",
        "true" if r.get("enableLfs") else "false",
        "true" if creds else "false",
        str(state.get("status") or "Unknown"),
        str(state.get("message") or ""),
        str(r.get("project") or ""),
    ]


@repo_app.command("add")
def add_cmd(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="Repository URL."),
    type_: str = typer.Option("git", "--type", help="git or helm."),
    name: str = typer.Option("", "--name", help="Name (required for Helm repositories)."),
    project: str = typer.Option("", "--project", help="Project the repository belongs to."),
    username: str = typer.Option("", "--username", help="User name."),
    password: str = typer.Option("", "--password", help="Password (prompted when --username is given)."),
    ssh_private_key_path: Path | None = typer.Option(None, "--ssh-private-key-path", help="SSH key file."),
    tls_client_cert_path: Path | None = typer.Option(
        None, "--tls-client-cert-path", help="Client certificate."
    ),
    tls_client_cert_key_path: Path | None = typer.Option(
        None, "--tls-client-cert-key-path", help="Client key."
    ),
    insecure_skip_server_verification: bool = typer.Option(False, "--insecure-skip-server-verification"),
    insecure_ignore_host_key: bool = typer.Option(False, "--insecure-ignore-host-key"),
    enable_lfs: bool = typer.Option(False, "--enable-lfs", help="Fetch Git LFS files."),
    enable_oci: bool = typer.Option(False, "--enable-oci", help="Helm OCI registry."),
    force_http_basic_auth: bool = typer.Option(False, "--force-http-basic-auth"),
    proxy: str = typer.Option("", "--proxy", help="HTTP(S) proxy."),
    upsert: bool = typer.Option(False, "--upsert", help="Replace existing settings of that URL."),
) -> None:
    """Add a repository (and its credentials) as a repository Secret."""
    with cli_errors():
        if username and not password:
            password = typer.prompt("Password", hide_input=True)
        body: Obj = {
            "repo": url,
            "type": type_,
            "name": name,
            "project": project,
            "username": username,
            "password": password,
            "insecure": insecure_skip_server_verification,
            "insecureIgnoreHostKey": insecure_ignore_host_key,
            "enableLfs": enable_lfs,
            "enableOCI": enable_oci,
            "forceHttpBasicAuth": force_http_basic_auth,
            "proxy": proxy,
        }
        for key, path in (
            ("sshPrivateKey", ssh_private_key_path),
            ("tlsClientCertData", tls_client_cert_path),
            ("tlsClientCertKey", tls_client_cert_key_path),
        ):
            if path is not None:
                try:
                    body[key] = path.read_text(encoding="utf-8")
                except OSError as exc:
                    raise CliError(f"cannot read {path}: {exc}") from None
        if type_ == "helm" and not name:
            raise CliError("a Helm repository needs --name (charts are referenced by it)")
        open_backend(ctx).create_repo({k: v for k, v in body.items() if v not in ("", False)}, upsert)
        typer.echo(f"Repository '{url}' added")


@repo_app.command("list")
def list_cmd(
    ctx: typer.Context, output: str = typer.Option("", "-o", "--output", help="wide|json|yaml|url.")
) -> None:
    """List repositories (never their credentials)."""
    with cli_errors():
        check_format(output, ("wide", "json", "yaml", "url", "name"))
        repos = open_backend(ctx).list_repos()
        if output == "url":
            output = "name"
        print_items(repos, output, HEADERS, repo_row, name=lambda r: str(r.get("repo")))


@repo_app.command("rm")
def rm_cmd(ctx: typer.Context, urls: list[str] = typer.Argument(..., help="Repository URL(s).")) -> None:
    """Remove repositories."""
    with cli_errors():
        backend = open_backend(ctx)
        for url in urls:
            backend.delete_repo(url)
            typer.echo(f"Repository '{url}' removed")
