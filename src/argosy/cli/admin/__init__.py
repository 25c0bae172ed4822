"""``argosy admin``: offline tools that need no server (and mostly no cluster).

Argo CD has ``argocd admin`` for the same purpose: checking settings, RBAC,
health scripts and renders before they reach a running installation.
"""

from __future__ import annotations

import typer

admin_app = typer.Typer(
    help="Offline tools: check settings, RBAC, health scripts and renders.", no_args_is_help=True
)
settings_app = typer.Typer(help="Check argocd-cm / argocd-rbac-cm settings offline.", no_args_is_help=True)
admin_app.add_typer(settings_app, name="settings")

# Command groups register below, one line each (keep this list sorted).
from argosy.cli.admin.resource_overrides import resource_overrides_app  # noqa: E402

settings_app.add_typer(resource_overrides_app, name="resource-overrides")
from argosy.cli.admin.rbac import rbac_app  # noqa: E402

settings_app.add_typer(rbac_app, name="rbac")
from argosy.cli.admin.proj_windows import admin_proj_app  # noqa: E402

admin_app.add_typer(admin_proj_app, name="proj")
from argosy.cli.admin.app_render import app_app  # noqa: E402

admin_app.add_typer(app_app, name="app")
from argosy.cli.admin.sops_check import sops_app  # noqa: E402

admin_app.add_typer(sops_app, name="sops")
from argosy.cli.admin.initial_password import initial_password  # noqa: E402

admin_app.command("initial-password")(initial_password)
