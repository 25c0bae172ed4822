"""``argosy login``, ``logout`` and ``context``: sessions kept in the client config.

``login SERVER`` asks for the password (never echoed, never stored: only the
session token the server returns is kept, in a 0600 file) and makes the
server the current context, so later commands need no flags. ``login --core``
records that commands should talk to the cluster directly, as ``argocd login
--core``. ``logout`` revokes the session on the server and forgets the token;
``context`` lists the contexts or switches to one. ``login --sso`` logs in
through the server's OpenID provider (see :mod:`argosy.cli.sso`).
"""

from __future__ import annotations

import typer

from argosy.cli.client import ApiBackend, base_url, cli_errors, core_backend, kube_namespace
from argosy.cli.commands.backend import CliError
from argosy.cli.commands.config import CORE_SERVER, ClientConfig, ServerEntry, config_path
from argosy.cli.output import table


def _config_file(config: str, ctx: typer.Context | None) -> str:
    """The command's own ``--config``, else the global one given before the command
    (``argosy --config F login ...``, as ``argocd --config F login`` works)."""
    if config or ctx is None:
        return config
    return str(getattr(ctx.find_root().obj, "config", "") or "")


def _load(config: str, ctx: typer.Context | None = None) -> ClientConfig:
    try:
        return ClientConfig.load(config_path(_config_file(config, ctx) or None))
    except ValueError as exc:
        raise CliError(str(exc)) from None


def login(
    ctx: typer.Context,
    server: str = typer.Argument("", help="Server address (host:port or URL); omit with --core."),
    username: str = typer.Option("", "--username", help="Account to log in as (prompted when omitted)."),
    password: str = typer.Option(
        "", "--password", help="Password (prompted when omitted; avoid in scripts)."
    ),
    insecure: bool = typer.Option(False, "--insecure", help="Skip server certificate verification."),
    plaintext: bool = typer.Option(False, "--plaintext", help="Use plain HTTP (no TLS)."),
    grpc_web: bool = typer.Option(False, "--grpc-web", help="Accepted for argocd compatibility."),
    name: str = typer.Option("", "--name", help="Name of the context (default: the server address)."),
    core: bool = typer.Option(False, "--core", help="Talk to the cluster directly (no server, no password)."),
    kubeconfig: str = typer.Option("", "--kubeconfig", envvar="KUBECONFIG", help="Kubeconfig (--core)."),
    kube_context: str = typer.Option("", "--kube-context", help="Kubeconfig context (--core)."),
    namespace: str = typer.Option(
        "", "--namespace", "-N", help="Control-plane namespace (--core; default: the context's, else argocd)."
    ),
    sso: bool = typer.Option(False, "--sso", help="Log in through the server's OpenID provider (SSO)."),
    sso_port: int = typer.Option(8085, "--sso-port", help="Loopback port of the SSO callback listener."),
    sso_launch_browser: str = typer.Option(
        "true", "--sso-launch-browser", help="Open the browser (false: only print the URL to open)."
    ),
    config: str = typer.Option("", "--config", help="Client config file."),
) -> None:
    """Log in to an Argosy server (or choose --core) and make it the current context."""
    with cli_errors():
        cfg = _load(config, ctx)
        if core:
            namespace = namespace or kube_namespace(kubeconfig, kube_context)
            core_backend(kubeconfig=kubeconfig, context=kube_context, namespace=namespace).close()
            entry = ServerEntry(
                CORE_SERVER, core=True, namespace=namespace, kubeconfig=kubeconfig, kube_context=kube_context
            )
            context = name or CORE_SERVER
            cfg.upsert(context, entry, "")
            cfg.save()
            typer.echo(f"Context '{context}' updated (core mode, namespace '{namespace}')")
            return
        if not server:
            raise CliError("missing SERVER: 'argosy login HOST:PORT' (or 'argosy login --core')")
        if sso:
            _sso_login(cfg, server, name, insecure, plaintext, grpc_web, sso_port, sso_launch_browser)
            return
        username = username or typer.prompt("Username")
        password = password or typer.prompt("Password", hide_input=True)
        api = ApiBackend(base_url(server, plaintext), "", insecure=insecure)
        try:
            token = api.login(username, password)
        finally:
            api.close()
        if not token:
            raise CliError(f"{server} answered the login without a token: is it an Argosy server?")
        context = name or server
        entry = ServerEntry(server, insecure=insecure, plain_text=plaintext, grpc_web=grpc_web)
        cfg.upsert(context, entry, token)
        cfg.save()
        typer.echo(f"'{username}:login' logged in successfully")
        typer.echo(f"Context '{context}' updated")


def _sso_login(
    cfg: ClientConfig,
    server: str,
    name: str,
    insecure: bool,
    plaintext: bool,
    grpc_web: bool,
    port: int,
    launch_browser: str,
) -> None:
    from argosy.cli import sso

    if launch_browser.strip().lower() not in ("true", "false", "1", "0"):
        raise CliError(f"--sso-launch-browser takes true or false, not {launch_browser!r}")
    api = ApiBackend(base_url(server, plaintext), "", insecure=insecure)
    try:
        settings = dict(api.api.call("GET", "/api/v1/settings"))
    finally:
        api.close()
    tokens = sso.login(
        settings,
        server,
        port=port,
        launch_browser=launch_browser.strip().lower() in ("true", "1"),
        insecure=insecure,
        echo=typer.echo,
    )
    checked = ApiBackend(base_url(server, plaintext), tokens.id_token, insecure=insecure)
    try:
        info = checked.user_info()  # the server must accept the token too (audience, issuer)
    finally:
        checked.close()
    context = name or server
    entry = ServerEntry(server, insecure=insecure, plain_text=plaintext, grpc_web=grpc_web)
    cfg.upsert(context, entry, tokens.id_token, tokens.refresh_token)
    cfg.save()
    typer.echo("Authentication successful")
    typer.echo(f"'{info.get('username') or tokens.claims.get('sub')}' logged in successfully")
    typer.echo(f"Context '{context}' updated")


def logout(
    ctx: typer.Context,
    context: str = typer.Argument("", help="Context to log out of (default: the current one)."),
    config: str = typer.Option("", "--config", help="Client config file."),
) -> None:
    """Revoke the session on the server and forget its token."""
    with cli_errors():
        cfg = _load(config, ctx)
        name = context or cfg.current_context
        resolved = cfg.resolve(name)
        if resolved is None:
            raise CliError(f"context '{name}' does not exist: see 'argosy context'")
        entry, token = resolved
        if token and not entry.core:
            api = ApiBackend(base_url(entry.server, entry.plain_text), token, insecure=entry.insecure)
            try:
                api.logout()
            except CliError as exc:  # an expired session is logged out all the same
                if exc.status not in (401, 403):
                    typer.echo(f"warning: the server did not revoke the session: {exc.message}", err=True)
            finally:
                api.close()
        user = cfg.contexts[name][1]
        cfg.users[user] = ""
        cfg.refresh_tokens.pop(user, None)
        cfg.save()
        typer.echo(f"Logged out from '{name}'")


def context(
    ctx: typer.Context,
    name: str = typer.Argument("", help="Context to switch to (list all when omitted)."),
    delete: bool = typer.Option(False, "--delete", help="Delete the context instead."),
    config: str = typer.Option("", "--config", help="Client config file."),
) -> None:
    """List the contexts of the client config, switch to one, or delete one."""
    with cli_errors():
        cfg = _load(config, ctx)
        if not name:
            rows = [
                ["*" if n == cfg.current_context else "", n, s] for n, (s, _) in sorted(cfg.contexts.items())
            ]
            typer.echo(table(["CURRENT", "NAME", "SERVER"], rows))
            return
        if name not in cfg.contexts:
            raise CliError(f"context '{name}' does not exist: see 'argosy context'")
        if delete:
            cfg.remove(name)
            cfg.save()
            typer.echo(f"Context '{name}' deleted")
            return
        cfg.current_context = name
        cfg.save()
        typer.echo(f"Switched to context '{name}'")


def version(
    ctx: typer.Context,
    client: bool = typer.Option(False, "--client", help="Only the client version (no server needed)."),
    output: str = typer.Option("", "-o", "--output", help="json|yaml|short."),
    config: str = typer.Option("", "--config", help="Client config file."),
) -> None:
    """Print the client version and, when a context is configured, the server's."""
    import json

    from argosy import __version__
    from argosy.cli.client import open_backend
    from argosy.cli.commands.backend import Connection

    with cli_errors():
        info: dict[str, object] = {"client": {"Version": f"v{__version__}"}}
        if not client:
            ctx.obj = Connection(config=_config_file(config, ctx))
            if _load(config, ctx).resolve() is not None:
                backend = open_backend(ctx)
                try:
                    info["server"] = backend.server_version()
                finally:
                    backend.close()
        if output == "json":
            typer.echo(json.dumps(info, indent=2))
        elif output == "yaml":
            import yaml

            typer.echo(yaml.safe_dump(info, sort_keys=False).rstrip())
        else:
            typer.echo(f"argosy: v{__version__}")
            server_info = info.get("server")
            if isinstance(server_info, dict):
                typer.echo(f"argosy-server: {server_info.get('Version', '')}")
