"""Public endpoints: ``/api/v1/settings``, ``/api/version`` and ``/healthz``.

As in Argo CD they answer without a token, because the UI and CLI need them
before logging in; they never include anything secret. ``/api/version``
gives details only to a logged-in caller.
"""

from __future__ import annotations

import logging
import platform
import sys
from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from argosy import __version__
from argosy.kube.exclusions import ResourceFilter
from argosy.server.context import ServerContext
from argosy.server.deps import Ctx, MaybeAuth
from argosy.server.errors import APIError
from argosy.settings import resource_customizations

router = APIRouter(tags=["SettingsService"])
log = logging.getLogger(__name__)

DEFAULT_INSTANCE_LABEL = "app.kubernetes.io/instance"


@router.get("/api/v1/settings")
def get_settings(ctx: Ctx) -> dict[str, Any]:
    cm = ctx.settings.argocd_cm()
    accounts = ctx.settings.accounts()
    return {
        "url": cm.get("url", ""),
        "appLabelKey": cm.get("application.instanceLabelKey", DEFAULT_INSTANCE_LABEL),
        "trackingMethod": cm.get("application.resourceTrackingMethod", "annotation"),
        "statusBadgeEnabled": cm.get("statusBadge.enabled", "false") == "true",
        "execEnabled": cm.get("exec.enabled", "false") == "true",
        "userLoginsDisabled": not any(a.enabled and "login" in a.capabilities for a in accounts.values()),
        "passwordPattern": cm.get("passwordPattern", ""),
        "controllerNamespace": ctx.namespace,
        "uiBannerContent": cm.get("ui.bannercontent", ""),
        "oidcConfig": _oidc_config(ctx),
        "dexConfig": None,
        "kustomizeOptions": {"buildOptions": cm.get("kustomize.buildOptions", "")},
        "helmOptions": {"valuesFileSchemes": cm.get("helm.valuesFileSchemes", "")},
        **_resource_settings(cm),
    }


def _resource_settings(cm: dict[str, str]) -> dict[str, Any]:
    """How many resource overrides, exclusions and inclusions are in force (counts, for the UI's
    effective-settings view); a key that does not parse is named instead of failing the page."""
    try:
        overrides = len(resource_customizations.parse(cm))
        rules = ResourceFilter.from_argocd_cm(cm)
    except ValueError as err:
        return {"resourceSettingsError": f"argocd-cm: {err}; fix the key it names"}
    return {
        "resourceOverridesCount": overrides,
        "resourceExclusionsCount": len(rules.exclusions),
        "resourceInclusionsCount": len(rules.inclusions),
    }


def _oidc_config(ctx: ServerContext) -> dict[str, Any] | None:
    """The SSO settings clients need (never the client secret); None when SSO is off or broken."""
    try:
        config = ctx.sso.config()
    except APIError as err:
        log.error("SSO is unavailable: %s", err.message)
        return None
    return config.public() if config else None


@router.get("/api/version")
def version(caller: MaybeAuth) -> dict[str, Any]:
    if caller is None:
        return {"Version": f"v{__version__}"}
    return {
        "Version": f"v{__version__}",
        "Platform": f"{sys.platform}/{platform.machine()}",
        "Compiler": "cpython",
        "GoVersion": "",
        "PythonVersion": platform.python_version(),
    }


@router.get("/healthz", response_class=PlainTextResponse)
def healthz(ctx: Ctx) -> str:
    """ok when the control plane answers (the server is useless without it)."""
    ctx.settings.configmap("argocd-cm")
    return "ok"
