"""GitLab's REST API (v4) for the SCM provider and pull request generators, as Argo CD reads it.

``api`` is the GitLab server (default ``https://gitlab.com``; ``/api/v4`` is
appended unless already there). The token (``tokenRef``) travels as
``PRIVATE-TOKEN``. Projects and groups may be named by id or by path; paths are
sent URL-encoded (``group%2Fproject``). Merge requests are listed in every state
unless ``pullRequestState`` narrows them (Argo CD sends no state either), and
``labels`` are matched by GitLab itself. A group's projects include shared
projects unless ``includeSharedProjects: false``; labels of a project are its
``topics`` (``tag_list`` on older servers).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from argosy.appset.scm.client import Api, SecretGetter, q, refuse_ca_ref, secret_value
from argosy.appset.scm.model import PullRequest, Repository, RepositoryNotFound, ScmError

DEFAULT_API = "https://gitlab.com"


def api(provider: Mapping[str, Any], secret: SecretGetter, what: str) -> Api:
    refuse_ca_ref(provider, what)
    base = str(provider.get("api") or DEFAULT_API).rstrip("/")
    if not base.endswith("/api/v4"):
        base += "/api/v4"
    token = secret_value(provider.get("tokenRef"), secret, what, "tokenRef")
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return Api(base, what, headers, bool(provider.get("insecure")))


def _bool(value: bool) -> str:
    return "true" if value else "false"


class MergeRequests:
    def __init__(self, api: Api, project: str, labels: list[str], state: str) -> None:
        self.api, self.project, self.labels, self.state = api, project, labels, state

    def list(self) -> list[PullRequest]:
        params: dict[str, Any] = {}
        if self.labels:
            params["labels"] = ",".join(self.labels)
        if self.state:
            params["state"] = self.state
        items = self.api.pages(f"/projects/{q(self.project)}/merge_requests", params)
        return [
            PullRequest(
                number=int(item["iid"]),
                title=str(item.get("title") or ""),
                branch=str(item.get("source_branch") or ""),
                target_branch=str(item.get("target_branch") or ""),
                head_sha=str(item.get("sha") or ""),
                author=str((item.get("author") or {}).get("username") or ""),
                labels=tuple(
                    str(label.get("name") if isinstance(label, Mapping) else label)
                    for label in item.get("labels") or ()
                ),
            )
            for item in items
        ]


class Group:
    def __init__(self, api: Api, group: str, options: Mapping[str, Any], clone_protocol: str) -> None:
        if clone_protocol not in ("", "ssh", "https"):
            raise ScmError(
                f"{api.what}: unknown cloneProtocol {clone_protocol!r} for GitLab (use ssh or https)"
            )
        self.api, self.group, self.ssh = api, group, clone_protocol != "https"
        self.all_branches = bool(options.get("allBranches"))
        self.params: dict[str, Any] = {
            "include_subgroups": _bool(bool(options.get("includeSubgroups"))),
            "with_shared": _bool(options.get("includeSharedProjects") is not False),
        }
        if options.get("topic"):
            self.params["topic"] = str(options["topic"])

    def list_repos(self) -> list[Repository]:
        items = self.api.pages(f"/groups/{q(self.group)}/projects", self.params)
        return [
            Repository(
                organization=str((item.get("namespace") or {}).get("full_path") or ""),
                repository=str(item.get("path") or ""),
                url=str(item.get("ssh_url_to_repo" if self.ssh else "http_url_to_repo") or ""),
                branch=str(item.get("default_branch") or ""),
                labels=tuple(str(t) for t in item.get("topics") or item.get("tag_list") or ()),
                repository_id=item.get("id"),
            )
            for item in items
        ]

    def _project(self, repo: Repository) -> str:
        if repo.repository_id is not None:
            return q(str(repo.repository_id))
        return q(f"{repo.organization}/{repo.repository}")

    def branches(self, repo: Repository) -> list[Repository]:
        """A branch or project that has gone (404) yields nothing, as in Argo CD."""
        base = f"/projects/{self._project(repo)}/repository/branches"
        if not self.all_branches:
            branch = self.api.get(f"{base}/{q(repo.branch)}") if repo.branch else None
            return [repo.at(repo.branch, _sha(branch))] if branch else []
        try:
            items = self.api.pages(base)
        except RepositoryNotFound:
            return []
        return [repo.at(str(b.get("name") or ""), _sha(b)) for b in items]

    def has_path(self, repo: Repository, path: str) -> bool:
        """A file (files endpoint) or a directory (a non-empty tree) at ``repo.branch``."""
        project = f"/projects/{self._project(repo)}/repository"
        if self.api.get(f"{project}/files/{q(path)}", {"ref": repo.branch}) is not None:
            return True
        return bool(self.api.get(f"{project}/tree", {"path": path, "ref": repo.branch}))


def _sha(branch: Mapping[str, Any]) -> str:
    return str((branch.get("commit") or {}).get("id") or "")


def merge_requests(provider: Mapping[str, Any], secret: SecretGetter) -> MergeRequests:
    what = "pullRequest.gitlab"
    project = str(provider.get("project") or "")
    if not project:
        raise ScmError(f"{what}.project is required (the project's id or path, e.g. group/project)")
    labels = [str(label) for label in provider.get("labels") or []]
    return MergeRequests(
        api(provider, secret, what), project, labels, str(provider.get("pullRequestState") or "")
    )


def group(provider: Mapping[str, Any], clone_protocol: str, secret: SecretGetter) -> Group:
    what = "scmProvider.gitlab"
    name = str(provider.get("group") or "")
    if not name:
        raise ScmError(f"{what}.group is required (the group's id or full path)")
    return Group(api(provider, secret, what), name, provider, clone_protocol)
