"""Bitbucket Server's (Data Center's) REST API 1.0 for the SCM provider and pull request generators.

``api`` is the server's REST root including ``/rest`` (e.g.
``https://bitbucket.example.com/rest``), as in Argo CD; paths
``/api/1.0/projects/...`` are joined to it. Authentication is
``bearerToken.tokenRef`` (``Authorization: Bearer``) or ``basicAuth``
(``username`` plus ``passwordRef``), else none. Listings page by offset.

As Argo CD: pull request ``labels`` are always empty, the ``repository``
parameter is the repository's name (its slug addresses the API), and a
repository without a default branch is skipped.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from argosy.appset.scm.client import Api, SecretGetter, q, q_path, refuse_ca_ref, secret_value
from argosy.appset.scm.model import PullRequest, Repository, ScmError


def api(provider: Mapping[str, Any], secret: SecretGetter, what: str) -> Api:
    refuse_ca_ref(provider, what)
    base = str(provider.get("api") or "").rstrip("/")
    if not base:
        raise ScmError(f"{what}.api is required (the REST root, e.g. https://bitbucket.example.com/rest)")
    headers: dict[str, str] = {}
    bearer, basic = provider.get("bearerToken"), provider.get("basicAuth")
    if isinstance(bearer, Mapping):
        token = secret_value(bearer.get("tokenRef"), secret, what, "bearerToken.tokenRef")
        if not token:
            raise ScmError(f"{what}.bearerToken.tokenRef must name a Secret and key")
        headers["Authorization"] = f"Bearer {token}"
    elif isinstance(basic, Mapping):
        password = secret_value(basic.get("passwordRef"), secret, what, "basicAuth.passwordRef")
        pair = f"{basic.get('username') or ''}:{password}".encode()
        headers["Authorization"] = f"Basic {base64.b64encode(pair).decode()}"
    if headers:
        headers |= {"X-Atlassian-Token": "no-check", "X-Requested-With": "XMLHttpRequest"}
    return Api(base, what, headers, bool(provider.get("insecure")), paging="offset")


def _repo_path(project: str, slug: str) -> str:
    return f"/api/1.0/projects/{q(project)}/repos/{q(slug)}"


class PullRequests:
    def __init__(self, api: Api, project: str, repo: str) -> None:
        self.api, self.project, self.repo = api, project, repo

    def list(self) -> list[PullRequest]:
        items = self.api.pages(f"{_repo_path(self.project, self.repo)}/pull-requests")
        return [
            PullRequest(
                number=int(item["id"]),
                title=str(item.get("title") or ""),
                branch=str((item.get("fromRef") or {}).get("displayId") or ""),
                target_branch=str((item.get("toRef") or {}).get("displayId") or ""),
                head_sha=str((item.get("fromRef") or {}).get("latestCommit") or ""),
                author=str(((item.get("author") or {}).get("user") or {}).get("name") or ""),
            )
            for item in items
        ]


class Project:
    def __init__(self, api: Api, project: str, all_branches: bool, clone_protocol: str) -> None:
        if clone_protocol not in ("", "ssh", "https"):
            raise ScmError(
                f"{api.what}: unknown cloneProtocol {clone_protocol!r} for Bitbucket Server "
                "(use ssh or https)"
            )
        self.api, self.project, self.all_branches = api, project, all_branches
        self.link = "http" if clone_protocol == "https" else "ssh"
        self._slugs: dict[tuple[str, str], str] = {}

    def _path(self, repo: Repository) -> str:
        slug = self._slugs.get((repo.organization, repo.repository), repo.repository)
        return _repo_path(repo.organization, slug)

    def list_repos(self) -> list[Repository]:
        out = []
        for item in self.api.pages(f"/api/1.0/projects/{q(self.project)}/repos"):
            org = str((item.get("project") or {}).get("key") or self.project)
            name, slug = str(item.get("name") or ""), str(item.get("slug") or item.get("name") or "")
            self._slugs[(org, name)] = slug
            default = self.api.get(f"{_repo_path(org, slug)}/branches/default")
            if not default:
                continue
            links = (item.get("links") or {}).get("clone") or []
            url = next((str(link.get("href")) for link in links if link.get("name") == self.link), "")
            out.append(
                Repository(
                    organization=org,
                    repository=name,
                    url=url,
                    branch=str(default.get("displayId") or ""),
                    sha=str(default.get("latestCommit") or ""),
                    repository_id=item.get("id"),
                )
            )
        return out

    def branches(self, repo: Repository) -> list[Repository]:
        """The default branch (already read with the repository), or every branch."""
        if not self.all_branches:
            return [repo]
        items = self.api.pages(f"{self._path(repo)}/branches")
        return [repo.at(str(b.get("displayId") or ""), str(b.get("latestCommit") or "")) for b in items]

    def has_path(self, repo: Repository, path: str) -> bool:
        browse = f"{self._path(repo)}/browse/{q_path(path)}"
        return self.api.get(browse, {"at": repo.branch, "type": "true", "limit": 100}) is not None


def pull_requests(provider: Mapping[str, Any], secret: SecretGetter) -> PullRequests:
    what = "pullRequest.bitbucketServer"
    project, repo = str(provider.get("project") or ""), str(provider.get("repo") or "")
    if not project or not repo:
        raise ScmError(f"{what}: project (the project key) and repo (the repository slug) are required")
    return PullRequests(api(provider, secret, what), project, repo)


def project(provider: Mapping[str, Any], clone_protocol: str, secret: SecretGetter) -> Project:
    what = "scmProvider.bitbucketServer"
    key = str(provider.get("project") or "")
    if not key:
        raise ScmError(f"{what}.project is required (the project key)")
    return Project(api(provider, secret, what), key, bool(provider.get("allBranches")), clone_protocol)
