"""``argosy admin settings resource-overrides``: try argocd-cm customizations on files.

Argo CD users check a Lua health script or an ignoreDifferences rule against a
saved object before rolling the ConfigMap out; these commands do the same with
no cluster and no server.
"""

from __future__ import annotations

import typer

resource_overrides_app = typer.Typer(
    help="Check resource.customizations of argocd-cm against objects saved in files.",
    no_args_is_help=True,
)

# Commands register below, one line each.
from argosy.cli.admin.health_check import health  # noqa: E402

resource_overrides_app.command("health")(health)
from argosy.cli.admin.ignore_differences_check import ignore_differences  # noqa: E402

resource_overrides_app.command("ignore-differences")(ignore_differences)
