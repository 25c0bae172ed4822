"""GitHub's and Gitea's REST APIs for the SCM provider and pull request generators.

The two APIs have the same shape for what the generators read (open pull
requests with head/base refs, an organisation's repositories, branches and
contents), so one client serves both: GitHub at ``api`` (default
``https://api.github.com``), Gitea at ``<api>/api/v1``. The token
(``tokenRef``) is sent as ``Authorization: token <token>``, only to that API.
Gitea names its page size ``limit`` (GitHub ``per_page``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argosy.appset.scm.client import Api, SecretGetter, q, q_path, secret_value
from argosy.appset.scm.model import PullRequest, Repository, ScmError

KINDS = ("github", "gitea")


def api(kind: str, provider: Mapping[str, Any], secret: SecretGetter, what: str) -> Api:
    token = secret_value(provider.get("tokenRef"), secret, what, "tokenRef")
    headers = {"Authorization": f"token {token}"} if token else {}
    if kind == "github":
        return Api(str(provider.get("api") or "https://api.github.com"), what, headers)
    base = str(provider.get("api") or "").rstrip("/")
    if not base:
        raise ScmError(f"{what}.api is required (the Gitea server, e.g. https://gitea.example.com)")
    return Api(f"{base}/api/v1", what, headers, bool(provider.get("insecure")), limit_key="limit")


class PullRequests:
    def __init__(self, api: Api, owner: str, repo: str, labels: list[str]) -> None:
        self.api, self.owner, self.repo, self.labels = api, owner, repo, labels

    def list(self) -> list[PullRequest]:
        items = self.api.pages(f"/repos/{q(self.owner)}/{q(self.repo)}/pulls", {"state": "open"})
        out = []
        for item in items:
            labels = tuple(str(label.get("name")) for label in item.get("labels") or [])
            if self.labels and not set(self.labels) <= set(labels):
                continue
            out.append(
                PullRequest(
                    number=int(item["number"]),
                    title=str(item.get("title") or ""),
                    branch=str((item.get("head") or {}).get("ref") or ""),
                    target_branch=str((item.get("base") or {}).get("ref") or ""),
                    head_sha=str((item.get("head") or {}).get("sha") or ""),
                    author=str((item.get("user") or {}).get("login") or ""),
                    labels=labels,
                )
            )
        return out


class Organisation:
    def __init__(self, api: Api, org: str, all_branches: bool, ssh: bool) -> None:
        self.api, self.org, self.all_branches, self.ssh = api, org, all_branches, ssh

    def list_repos(self) -> list[Repository]:
        items = self.api.pages(f"/orgs/{q(self.org)}/repos")
        return [
            Repository(
                organization=str((item.get("owner") or {}).get("login") or self.org),
                repository=str(item["name"]),
                url=str(item.get("ssh_url") if self.ssh else item.get("clone_url") or ""),
                branch=str(item.get("default_branch") or ""),
                labels=tuple(str(t) for t in item.get("topics") or ()),
                repository_id=item.get("id"),
            )
            for item in items
        ]

    @staticmethod
    def _sha(branch: Mapping[str, Any]) -> str:
        commit = branch.get("commit") or {}
        return str(commit.get("sha") or commit.get("id") or "")

    def branches(self, repo: Repository) -> list[Repository]:
        base = f"/repos/{q(repo.organization)}/{q(repo.repository)}/branches"
        if self.all_branches:
            items = self.api.pages(base)
            return [repo.at(str(b["name"]), self._sha(b)) for b in items]
        branch = self.api.get(f"{base}/{q(repo.branch)}") if repo.branch else None
        return [repo.at(repo.branch, self._sha(branch))] if branch else []

    def has_path(self, repo: Repository, path: str) -> bool:
        contents = f"/repos/{q(repo.organization)}/{q(repo.repository)}/contents/{q_path(path)}"
        return self.api.get(contents, {"ref": repo.branch}) is not None


def pull_requests(kind: str, provider: Mapping[str, Any], secret: SecretGetter) -> PullRequests:
    client = api(kind, provider, secret, f"pullRequest.{kind}")
    labels = [str(label) for label in provider.get("labels") or []]
    return PullRequests(client, str(provider.get("owner") or ""), str(provider.get("repo") or ""), labels)


def organisation(
    kind: str, provider: Mapping[str, Any], clone_protocol: str, secret: SecretGetter
) -> Organisation:
    client = api(kind, provider, secret, f"scmProvider.{kind}")
    ssh = (clone_protocol or "ssh") == "ssh" if kind == "github" else clone_protocol == "ssh"
    return Organisation(
        client,
        str(provider.get("organization") or provider.get("owner") or ""),
        bool(provider.get("allBranches")),
        ssh,
    )
