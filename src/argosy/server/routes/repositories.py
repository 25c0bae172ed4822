"""``/api/v1/repositories``: repository Secrets; passwords, keys and tokens are never returned.

RBAC object: ``<project>/<url>`` for a project-scoped repository, else the URL.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from argosy.appstate.inputs import repository_store
from argosy.kube.errors import KubeError
from argosy.repo.client import RepositoryTester
from argosy.repo.errors import RepoError
from argosy.server.context import ServerContext
from argosy.server.credsecrets import refuse_existing, secret_name_for, write_credential_secret
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import (
    FAILED_PRECONDITION,
    INVALID_ARGUMENT,
    UNAVAILABLE,
    APIError,
    from_kube,
    not_found,
)
from argosy.settings.repositories import (
    SECRET_TYPE_LABEL,
    Repository,
    RepositorySecretError,
    repository_from_secret,
    same_url,
)
from argosy.settings.secrets import secret_text

router = APIRouter(tags=["RepositoryService"])
SELECTOR = f"{SECRET_TYPE_LABEL}=repository"


def _read(ctx: ServerContext) -> list[tuple[str, Repository | RepositorySecretError, str]]:
    """Each repository Secret: (name, the repository or why it cannot be read, its URL if known)."""
    out: list[tuple[str, Repository | RepositorySecretError, str]] = []
    for secret in ctx.kube.list(ctx.namespace, "secrets", SELECTOR):
        name = str(secret["metadata"]["name"])
        try:
            repo = repository_from_secret(secret)
            out.append((name, repo, repo.url))
        except RepositorySecretError as exc:
            url = secret_text(secret, what=f"Secret {name!r}", strict=False).get("url", "")
            out.append((name, exc, url))
    return out


def _repos(ctx: ServerContext) -> list[tuple[str, Repository]]:
    return [(name, r) for name, r, _ in _read(ctx) if isinstance(r, Repository)]


def rbac_object(repo: Repository) -> str:
    return f"{repo.project}/{repo.url}" if repo.project else repo.url


def to_api(repo: Repository) -> dict[str, Any]:
    """Argo CD's sanitized Repository: connection settings only, no credentials."""
    return {
        "repo": repo.url,
        "type": repo.type or "git",
        "name": repo.name,
        "project": repo.project,
        "insecure": repo.insecure,
        "enableLfs": repo.enable_lfs,
        "enableOCI": repo.enable_oci,
        "proxy": repo.proxy,
        "noProxy": repo.no_proxy,
        "forceHttpBasicAuth": repo.force_http_basic_auth,
        "inheritedCreds": repo.inherited_creds,
        "connectionState": {"status": "Unknown"},
    }


@router.get("/api/v1/repositories")
def list_repositories(caller: Auth, ctx: Ctx) -> dict[str, Any]:
    """Every repository; one whose Secret cannot be read is listed as Failed with the reason,
    never left out (a repository that vanishes from the list is a mystery to debug)."""
    may_get = ctx.allowed_checker(caller, "repositories", "get")
    items = []
    for name, repo, url in _read(ctx):
        if isinstance(repo, Repository):
            if may_get(rbac_object(repo)):
                items.append(to_api(repo))
        elif may_get(url or f"secret:{name}"):
            state = {"status": "Failed", "message": f"{repo}; fix the Secret {name!r}"}
            items.append({"repo": url, "type": "git", "name": "", "project": "", "connectionState": state})
    return {"metadata": {}, "items": items}


class RepositoryCreate(BaseModel):
    repo: str
    type: str = ""
    name: str = ""
    project: str = ""
    username: str = ""
    password: str = ""
    sshPrivateKey: str = ""
    tlsClientCertData: str = ""
    tlsClientCertKey: str = ""
    insecure: bool = False
    insecureIgnoreHostKey: bool = False
    enableLfs: bool = False
    enableOCI: bool = False
    forceHttpBasicAuth: bool = False
    proxy: str = ""
    noProxy: str = ""


_BOOL_KEYS = ("insecure", "insecureIgnoreHostKey", "enableLfs", "enableOCI", "forceHttpBasicAuth")
_TEXT_KEYS = (
    "type", "name", "project", "username", "password", "sshPrivateKey",
    "tlsClientCertData", "tlsClientCertKey", "proxy", "noProxy",
)  # fmt: skip


@router.post("/api/v1/repositories")
def create_repository(body: RepositoryCreate, caller: Auth, ctx: Ctx, upsert: bool = False) -> dict[str, Any]:
    if not body.repo:
        raise APIError(INVALID_ARGUMENT, "repository 'repo' (its URL) is required")
    obj = f"{body.project}/{body.repo}" if body.project else body.repo
    ctx.enforce(caller, "repositories", "create", obj)
    existing = next(
        (n for n, r in _repos(ctx) if same_url(r.url, body.repo) and r.project == body.project), None
    )
    what = f"repository {body.repo}"
    if existing is not None and not upsert:
        raise refuse_existing(what, existing)
    secret = write_credential_secret(
        ctx,
        secret_type="repository",
        name=existing or secret_name_for(body.repo, "repo"),
        url=body.repo,
        fields=body.model_dump(),
        text_keys=_TEXT_KEYS,
        bool_keys=_BOOL_KEYS,
        replace=existing is not None,
        may_update=lambda: ctx.enforce(caller, "repositories", "update", obj),
        what=what,
    )
    return to_api(repository_from_secret(secret))


@router.delete("/api/v1/repositories/{repo:path}")
def delete_repository(repo: str, caller: Auth, ctx: Ctx, appProject: str = "") -> dict[str, Any]:
    found = [
        (n, r)
        for n, r in _repos(ctx)
        if same_url(r.url, repo) and (not appProject or r.project == appProject)
    ]
    target = repo.rstrip("/")
    # The same 403 for a missing repository as for a hidden one, so URLs cannot be probed.
    ctx.ensure_visible(
        caller,
        "repositories",
        ("delete",),
        rbac_object(found[0][1]) if found else None,
        any_project=(target, f"{appProject or '*'}/{target}"),
        kind="repository",
        given=repo,
    )
    if not found:  # ensure_visible raised already
        raise not_found("repository", repo)
    name = found[0][0]
    try:
        ctx.kube.delete(ctx.namespace, "secrets", name)
    except KubeError as err:
        raise from_kube(err, f"repository {repo}") from None
    return {}


class RepositoryAccess(RepositoryCreate):
    """Argo CD's RepoAccessQuery: the repository to reach, with credentials to try (optional)."""

    repo: str = ""


@router.post(
    "/api/v1/repositories/{repo:path}/validate",
    summary="Test the connection to a repository (Argo CD's ValidateAccess)",
)
def validate_access(repo: str, body: RepositoryAccess, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    """Reach the repository through the repo server: with the credentials in the body when it
    has any (before connecting it), else with the stored ones (its own, then a template's).
    RBAC as Argo CD: ``repositories, create``. ``{}`` when reachable, else the reason."""
    obj = f"{body.project}/{repo}" if body.project else repo
    ctx.enforce(caller, "repositories", "create", obj)
    store = repository_store(ctx)
    has_credentials = bool(body.username or body.password or body.sshPrivateKey or body.tlsClientCertKey)
    # A repository not connected yet is tested as it would be saved (a Helm type, insecure TLS), even
    # without credentials; a connected one without credentials in the body is tested as stored.
    unsaved_settings = bool(body.type or body.insecure or body.insecureIgnoreHostKey) and not any(
        same_url(r.url, repo) for r in store.repositories
    )
    if has_credentials or unsaved_settings:
        given = Repository(
            url=repo,
            username=body.username,
            password=body.password,
            ssh_private_key=body.sshPrivateKey,
            tls_client_cert_data=body.tlsClientCertData,
            tls_client_cert_key=body.tlsClientCertKey,
            type=body.type,
            project=body.project,
            insecure=body.insecure,
            insecure_ignore_host_key=body.insecureIgnoreHostKey,
            enable_oci=body.enableOCI,
            force_http_basic_auth=body.forceHttpBasicAuth,
            proxy=body.proxy,
            no_proxy=body.noProxy,
        )
        store.repositories.insert(0, given)
    tester = ctx.renderer
    if not isinstance(tester, RepositoryTester):
        raise APIError(UNAVAILABLE, "the repo service in use cannot test repository connections")
    try:
        tester.test_repository(repo, store, body.project)
    except (RepoError, RepositorySecretError) as err:
        raise APIError(FAILED_PRECONDITION, f"unable to connect to repository {repo}: {err}") from None
    return {}
