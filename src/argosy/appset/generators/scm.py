"""The ``pullRequest`` and ``scmProvider`` generators: one parameter set per open pull request,
or per repository (and branch) of an organisation.

Pull request parameters: ``number`` (a string), ``title``, ``branch``,
``branch_slug``, ``target_branch``, ``target_branch_slug``, ``head_sha``,
``head_short_sha`` (8 characters), ``head_short_sha_7``, ``author`` and, with Go
templates, ``labels``. SCM provider parameters: ``organization``,
``repository``, ``url``, ``branch``, ``branchNormalized``, ``sha``,
``short_sha``, ``short_sha_7``, ``labels`` (comma separated), ``repository_id``.

A provider with a custom API URL must be listed in the controller's
``applicationsetcontroller.allowed.scm.providers`` (an empty list allows
all), so an ApplicationSet cannot make the controller send its tokens to any
host; ``applicationsetcontroller.enable.scm.providers: "false"`` turns both
generators off.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argosy.appset.generators.context import GenerateContext, GeneratorError
from argosy.appset.names import normalize, slugify
from argosy.appset.params import Params, with_values
from argosy.appset.scm.filters import filter_pull_requests, list_repositories
from argosy.appset.scm.model import RepositoryNotFound, ScmError

_NOT_PROVIDERS = {"filters", "values", "template", "requeueAfterSeconds", "cloneProtocol"}
_NOT_PROVIDERS |= {"continueOnRepoNotFoundError"}


def _provider(spec: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    for key, value in spec.items():
        if key not in _NOT_PROVIDERS and isinstance(value, Mapping):
            return key, value
    return "", {}


def check_allowed(kind: str, spec: Mapping[str, Any], ctx: GenerateContext) -> None:
    """Refuse a disabled generator, or a provider API URL outside the allow-list."""
    if not ctx.scm_providers_enabled:
        raise GeneratorError(
            f"{kind} generator: SCM providers are disabled in this installation "
            "(applicationsetcontroller.enable.scm.providers)"
        )
    _, provider = _provider(spec)
    api = str(provider.get("api") or "")
    if api and ctx.allowed_scm_providers and api not in ctx.allowed_scm_providers:
        raise GeneratorError(
            f'{kind} generator: scm provider "{api}" not allowed, must use one of the following: '
            + ", ".join(ctx.allowed_scm_providers)
        )


def _short(sha: str, n: int) -> str:
    return sha[:n]


def generate_pull_requests(spec: Mapping[str, Any], ctx: GenerateContext) -> list[Params]:
    check_allowed("pullRequest", spec, ctx)
    if ctx.scm is None:
        raise GeneratorError("pullRequest generator: no SCM access configured")
    try:
        prs = ctx.scm.pull_requests(spec).list()
    except RepositoryNotFound as exc:
        if spec.get("continueOnRepoNotFoundError"):
            return []
        raise GeneratorError(f"pullRequest generator: {exc}") from None
    except ScmError as exc:
        raise GeneratorError(f"pullRequest generator: {exc}") from None
    try:
        prs = filter_pull_requests(prs, spec.get("filters") or [])
    except ScmError as exc:
        raise GeneratorError(f"pullRequest generator: {exc}") from None
    out: list[Params] = []
    for pr in prs:
        params: Params = {
            "number": str(pr.number),
            "title": pr.title,
            "branch": pr.branch,
            "branch_slug": slugify(pr.branch),
            "target_branch": pr.target_branch,
            "target_branch_slug": slugify(pr.target_branch),
            "head_sha": pr.head_sha,
            "head_short_sha": _short(pr.head_sha, 8),
            "head_short_sha_7": _short(pr.head_sha, 7),
            "author": pr.author,
        }
        if ctx.renderer.go_template:
            params["labels"] = list(pr.labels)
        out.append(with_values(params, spec.get("values"), ctx.renderer))
    return out


def generate_scm_provider(spec: Mapping[str, Any], ctx: GenerateContext) -> list[Params]:
    check_allowed("scmProvider", spec, ctx)
    if ctx.scm is None:
        raise GeneratorError("scmProvider generator: no SCM access configured")
    try:
        provider = ctx.scm.scm_provider(spec)
        repos = list_repositories(provider, spec.get("filters") or [])
    except ScmError as exc:
        raise GeneratorError(f"scmProvider generator: {exc}") from None
    out: list[Params] = []
    for repo in repos:
        params: Params = {
            "organization": repo.organization,
            "repository": repo.repository,
            "url": repo.url,
            "branch": repo.branch,
            "branchNormalized": normalize(repo.branch),
            "sha": repo.sha,
            "short_sha": _short(repo.sha, 8),
            "short_sha_7": _short(repo.sha, 7),
            "labels": ",".join(repo.labels),
            "repository_id": repo.repository_id,
        }
        out.append(with_values(params, spec.get("values"), ctx.renderer))
    return out
