"""``argosy admin settings rbac``: test and validate RBAC policies offline.

Same answers as the server would give, before the policy reaches the
cluster::

    argosy admin settings rbac can michele sync applications default/simple-app --policy-file policy.csv
    argosy admin settings rbac validate --policy-file argocd-rbac-cm.yaml

``can`` prints ``Yes`` (exit 0) or ``No`` (exit 1), as ``argocd admin settings
rbac can``; a malformed request or policy exits 2 with the reason on stderr.
"""

from __future__ import annotations

from pathlib import Path

import typer

from argosy.server.rbac import (
    PolicyError,
    RBACConfigError,
    RequestError,
    can,
    load_policy_file,
    validate_policy,
)

rbac_app = typer.Typer(help="Validate and test RBAC policies (argocd-rbac-cm) offline.", no_args_is_help=True)

EXIT_ERROR = 2


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(EXIT_ERROR)


@rbac_app.command("can")
def can_cmd(
    subject: str = typer.Argument(..., help="Role or subject, e.g. role:guest, michele, my-org:team."),
    action: str = typer.Argument(..., help="Action, e.g. get, sync, create, action/apps/Deployment/restart."),
    resource: str = typer.Argument(..., help="Resource, e.g. applications (or app), projects, clusters."),
    obj: str = typer.Argument(
        "", metavar="[OBJECT]", help="Object, e.g. default/simple-app; '*' if omitted."
    ),
    policy_file: Path = typer.Option(
        ..., "--policy-file", help="Policy CSV or an argocd-rbac-cm ConfigMap (YAML)."
    ),
    default_role: str = typer.Option(
        "", "--default-role", help="Default role to use (overrides policy.default of the file)."
    ),
    use_builtin_policy: bool = typer.Option(
        True,
        "--use-builtin-policy/--no-use-builtin-policy",
        help="Also load the built-in role:readonly and role:admin policy.",
    ),
    strict: bool = typer.Option(
        True, "--strict/--no-strict", help="Refuse resource and action names Argosy never checks."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing; answer with the exit code."),
) -> None:
    """Check whether SUBJECT may do ACTION on RESOURCE [OBJECT] (ACTION comes before RESOURCE)."""
    try:
        config = load_policy_file(policy_file)
        result = can(
            config,
            subject,
            action,
            resource,
            obj,
            default_role=default_role,
            use_builtin=use_builtin_policy,
            strict=strict,
        )
    except RBACConfigError as err:
        raise _fail(str(err)) from None
    except RequestError as err:
        raise _fail(f"error in RBAC request: {err} (use --no-strict to check it anyway)") from None
    except PolicyError as err:
        raise _fail(f"{policy_file}: {err}") from None
    for warning in (*config.warnings, *result.warnings):
        typer.echo(f"warning: {warning}", err=True)
    if not quiet:
        typer.echo("Yes" if result.allowed else "No")
    raise typer.Exit(0 if result.allowed else 1)


@rbac_app.command("validate")
def validate_cmd(
    policy_file: Path = typer.Option(
        ..., "--policy-file", help="Policy CSV or an argocd-rbac-cm ConfigMap (YAML)."
    ),
) -> None:
    """Check that a policy loads: every line a well-formed 'p' or 'g' rule."""
    try:
        config = load_policy_file(policy_file)
    except RBACConfigError as err:
        raise _fail(str(err)) from None
    for warning in config.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if not config.policy_csv.strip():
        typer.echo(f"Policy is empty or could not be loaded from {policy_file}.", err=True)
        raise typer.Exit(1)
    problems = [p for src in config.sources for p in validate_policy(src.text, src.name)]
    if problems:
        typer.echo("Policy is invalid:")
        for problem in problems:
            typer.echo(f"  {problem}")
        typer.echo(
            "Each line must be 'p, <subject>, <resource>, <action>, <object>, <allow|deny>' "
            "or 'g, <subject>, <role>'."
        )
        raise typer.Exit(1)
    typer.echo("Policy is valid.")
