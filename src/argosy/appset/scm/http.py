"""Clients of GitHub's and Gitea's REST APIs for the SCM provider and pull request generators.

The two APIs have the same shape for what the generators read (open pull
requests with head/base refs, an organisation's repositories, branches and
contents), so one client serves both: GitHub at ``api`` (default
``https://api.github.com``), Gitea at ``<api>/api/v1``. The token comes from
``tokenRef`` (``secretName``/``key``, a Secret of the control-plane namespace)
and is sent only to that API. Results are paginated through until a short page.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from argosy.appset.scm.model import PullRequest, Repository, RepositoryNotFound, ScmError
from argosy.settings.secrets import SecretDataError, secret_text

PER_PAGE = 100
SecretGetter = Callable[[str], Mapping[str, Any] | None]


class _Api:
    def __init__(
        self, base: str, token: str, what: str, insecure: bool = False, limit_key: str = "per_page"
    ) -> None:
        self.base = base.rstrip("/")
        self.what = what
        self.limit_key = limit_key
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"token {token}"
        self.client = httpx.Client(headers=headers, timeout=30.0, verify=not insecure)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        url = f"{self.base}{path}"
        try:
            resp = self.client.get(url, params=dict(params or {}))
        except httpx.HTTPError as exc:
            raise ScmError(f"{self.what}: GET {url} failed: {type(exc).__name__}") from None
        if resp.status_code == 404:
            return None
        if resp.status_code != 200:
            raise ScmError(
                f"{self.what}: GET {url} answered {resp.status_code}; check the token and the names"
            )
        try:
            return resp.json()
        except ValueError:
            raise ScmError(f"{self.what}: GET {url} did not answer JSON") from None

    def pages(
        self, path: str, params: Mapping[str, Any] | None = None, limit_key: str = "per_page"
    ) -> list[Any]:
        out: list[Any] = []
        page = 1
        while True:
            items = self.get(path, {**(params or {}), self.limit_key: PER_PAGE, "page": page})
            if items is None:
                raise RepositoryNotFound(f"{self.what}: {self.base}{path} not found")
            if not isinstance(items, list):
                raise ScmError(f"{self.what}: {self.base}{path} did not answer a list")
            out.extend(items)
            if len(items) < PER_PAGE:
                return out
            page += 1


def _token(spec: Mapping[str, Any], secret: SecretGetter, what: str) -> str:
    ref = spec.get("tokenRef") or {}
    if not ref:
        return ""
    name, key = str(ref.get("secretName") or ""), str(ref.get("key") or "")
    obj = secret(name)
    if obj is None:
        raise ScmError(f"{what}: tokenRef names Secret {name!r}, which does not exist")
    try:
        data = secret_text(obj, what=f"Secret {name!r}")
    except SecretDataError as exc:
        raise ScmError(f"{what}: {exc}") from None
    if key not in data:
        raise ScmError(f"{what}: Secret {name!r} has no key {key!r} (tokenRef.key)")
    return data[key]


def _q(text: str) -> str:
    return urllib.parse.quote(text, safe="")


class PullRequests:
    def __init__(self, api: _Api, owner: str, repo: str, labels: list[str]) -> None:
        self.api, self.owner, self.repo, self.labels = api, owner, repo, labels

    def list(self) -> list[PullRequest]:
        items = self.api.pages(f"/repos/{_q(self.owner)}/{_q(self.repo)}/pulls", {"state": "open"})
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
    def __init__(self, api: _Api, org: str, all_branches: bool, ssh: bool) -> None:
        self.api, self.org, self.all_branches, self.ssh = api, org, all_branches, ssh

    def list_repos(self) -> list[Repository]:
        items = self.api.pages(f"/orgs/{_q(self.org)}/repos")
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
        base = f"/repos/{_q(repo.organization)}/{_q(repo.repository)}/branches"
        if self.all_branches:
            items = self.api.pages(base)
            return [_at(repo, str(b["name"]), self._sha(b)) for b in items]
        branch = self.api.get(f"{base}/{_q(repo.branch)}") if repo.branch else None
        return [_at(repo, repo.branch, self._sha(branch))] if branch else []

    def has_path(self, repo: Repository, path: str) -> bool:
        path_q = "/".join(_q(p) for p in path.split("/"))
        contents = f"/repos/{_q(repo.organization)}/{_q(repo.repository)}/contents/{path_q}"
        return self.api.get(contents, {"ref": repo.branch}) is not None


def _at(repo: Repository, branch: str, sha: str) -> Repository:
    return Repository(
        repo.organization, repo.repository, repo.url, branch, sha, repo.labels, repo.repository_id
    )


class HttpScm:
    """:class:`~argosy.appset.scm.model.ScmSource` for ``github`` and ``gitea`` providers."""

    def __init__(self, secret: SecretGetter) -> None:
        self._secret = secret

    def _api(self, kind: str, provider: Mapping[str, Any], what: str) -> _Api:
        token = _token(provider, self._secret, what)
        if kind == "github":
            return _Api(str(provider.get("api") or "https://api.github.com"), token, what)
        return _Api(
            f"{str(provider.get('api') or '').rstrip('/')}/api/v1",
            token,
            what,
            bool(provider.get("insecure")),
        )

    @staticmethod
    def _provider(spec: Mapping[str, Any], generator: str) -> tuple[str, Mapping[str, Any]]:
        for kind in ("github", "gitea"):
            if isinstance(spec.get(kind), Mapping):
                return kind, spec[kind]
        named = [k for k, v in spec.items() if isinstance(v, Mapping)]
        raise ScmError(
            f"{generator}: provider {', '.join(named) or '(none)'} is not supported yet "
            "(github and gitea are)"
        )

    def pull_requests(self, spec: Mapping[str, Any]) -> PullRequests:
        kind, provider = self._provider(spec, "pullRequest")
        what = f"pullRequest.{kind}"
        api = self._api(kind, provider, what)
        labels = [str(label) for label in provider.get("labels") or []]
        return PullRequests(api, str(provider.get("owner") or ""), str(provider.get("repo") or ""), labels)

    def scm_provider(self, spec: Mapping[str, Any]) -> Organisation:
        kind, provider = self._provider(spec, "scmProvider")
        what = f"scmProvider.{kind}"
        api = self._api(kind, provider, what)
        ssh = (
            (spec.get("cloneProtocol") or "ssh") == "ssh"
            if kind == "github"
            else spec.get("cloneProtocol") == "ssh"
        )
        return Organisation(
            api,
            str(provider.get("organization") or provider.get("owner") or ""),
            bool(provider.get("allBranches")),
            ssh,
        )
