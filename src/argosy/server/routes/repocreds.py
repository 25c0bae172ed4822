"""``/api/v1/repocreds``: credential templates (``repo-creds`` Secrets), as Argo CD's RepoCredsService.

A repository without credentials of its own borrows those of the template whose URL is the
longest prefix of its URL (:meth:`argosy.settings.repositories.RepositoryStore.template_for`, the
one implementation of that rule). Passwords, keys and tokens are written, never returned: the
list says only which kind of credential a template holds.

RBAC object: the template's URL prefix (``repositories, create, https://git.example.com/``), as
Argo CD.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from argosy.kube.errors import KubeError
from argosy.server.context import ServerContext
from argosy.server.credsecrets import refuse_existing, secret_name_for, write_credential_secret
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import INVALID_ARGUMENT, APIError, from_kube, not_found
from argosy.settings.repositories import (
    SECRET_TYPE_LABEL,
    Repository,
    RepositorySecretError,
    repository_from_secret,
    same_url,
)

router = APIRouter(tags=["RepoCredsService"])
SELECTOR = f"{SECRET_TYPE_LABEL}=repo-creds"


def _templates(ctx: ServerContext) -> list[tuple[str, Repository]]:
    """(Secret name, template) of every readable ``repo-creds`` Secret; a broken one is skipped
    here because the repository list already reports unreadable Secrets by name."""
    out = []
    for secret in ctx.kube.list(ctx.namespace, "secrets", SELECTOR):
        try:
            out.append((str(secret["metadata"]["name"]), repository_from_secret(secret)))
        except RepositorySecretError:
            continue
    return out


def to_api(creds: Repository) -> dict[str, Any]:
    """Argo CD's sanitized RepoCreds: the URL prefix and user name, never a secret value."""
    return {
        "url": creds.url,
        "username": creds.username,
        "type": creds.type or "git",
        "enableOCI": creds.enable_oci,
        "proxy": creds.proxy,
        "noProxy": creds.no_proxy,
        "forceHttpBasicAuth": creds.force_http_basic_auth,
        # Which kind of credential is stored (so the UI can say "SSH key"), not the credential.
        "hasPassword": bool(creds.password),
        "hasSSHPrivateKey": bool(creds.ssh_private_key),
        "hasTLSClientCert": bool(creds.tls_client_cert_key),
    }


@router.get("/api/v1/repocreds", summary="List credential templates (secrets never included)")
def list_repocreds(caller: Auth, ctx: Ctx, url: str = "") -> dict[str, Any]:
    """Templates the caller may ``get`` (``repositories, get, <url>``); ``url`` picks one prefix."""
    may_get = ctx.allowed_checker(caller, "repositories", "get")
    items = [to_api(c) for _, c in _templates(ctx) if may_get(c.url) and (not url or same_url(c.url, url))]
    return {"metadata": {}, "items": sorted(items, key=lambda c: c["url"])}


class RepoCredsCreate(BaseModel):
    url: str
    type: str = ""
    username: str = ""
    password: str = ""
    sshPrivateKey: str = ""
    tlsClientCertData: str = ""
    tlsClientCertKey: str = ""
    enableOCI: bool = False
    forceHttpBasicAuth: bool = False
    proxy: str = ""
    noProxy: str = ""


_TEXT_KEYS = (
    "type",
    "username",
    "password",
    "sshPrivateKey",
    "tlsClientCertData",
    "tlsClientCertKey",
    "proxy",
    "noProxy",
)
_BOOL_KEYS = ("enableOCI", "forceHttpBasicAuth")


@router.post("/api/v1/repocreds", summary="Add a credential template (upsert=true replaces one)")
def create_repocreds(body: RepoCredsCreate, caller: Auth, ctx: Ctx, upsert: bool = False) -> dict[str, Any]:
    if not body.url:
        raise APIError(
            INVALID_ARGUMENT, "credential template 'url' (the URL prefix it applies to) is required"
        )
    ctx.enforce(caller, "repositories", "create", body.url)
    if body.password and body.sshPrivateKey:
        raise APIError(
            INVALID_ARGUMENT,
            f"credential template {body.url}: give a username/password or an SSH private key, not both",
        )
    existing = next((n for n, c in _templates(ctx) if same_url(c.url, body.url)), None)
    what = f"credential template {body.url}"
    if existing is not None and not upsert:
        raise refuse_existing(what, existing)
    secret = write_credential_secret(
        ctx,
        secret_type="repo-creds",
        name=existing or secret_name_for(body.url, "creds"),
        url=body.url,
        fields=body.model_dump(),
        text_keys=_TEXT_KEYS,
        bool_keys=_BOOL_KEYS,
        replace=existing is not None,
        may_update=lambda: ctx.enforce(caller, "repositories", "update", body.url),
        what=what,
    )
    return to_api(repository_from_secret(secret))


@router.delete("/api/v1/repocreds/{url:path}", summary="Delete a credential template")
def delete_repocreds(url: str, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    found = [(n, c) for n, c in _templates(ctx) if same_url(c.url, url)]
    # The same 403 for a missing template as for one the caller may not see, so URLs cannot be probed.
    ctx.ensure_visible(
        caller,
        "repositories",
        ("delete",),
        found[0][1].url if found else None,
        any_project=(url.rstrip("/"),),
        kind="credential template",
        given=url,
    )
    if not found:  # ensure_visible raised already
        raise not_found("credential template", url)
    try:
        ctx.kube.delete(ctx.namespace, "secrets", found[0][0])
    except KubeError as err:
        raise from_kube(err, f"credential template {url}") from None
    return {}
