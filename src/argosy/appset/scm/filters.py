"""The ``filters`` of the SCM provider and pull request generators, as Argo CD applies them.

Within one filter every condition must hold; a repository or pull request
passes when any filter holds. SCM filters that look at the repository
(``repositoryMatch``, ``labelMatch``, ``pathsExist``, ``pathsDoNotExist``) run
before branches are listed; a filter with ``branchMatch`` runs on each branch.
Results keep the provider's order. A bad regular expression is an error that
names it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from argosy.appset.scm.model import PullRequest, Repository, ScmError, ScmProvider
from argosy.engine.regex import RegexError, compile_go


def _regex(value: Any, field: str) -> Any:
    """The compiled filter (Go's linear-time RE2, :mod:`argosy.engine.regex`), None when unset."""
    if value is None:
        return None
    try:
        return compile_go(str(value))
    except RegexError as exc:
        raise ScmError(f"filters: {field} {exc}") from None


@dataclass(frozen=True)
class _PrFilter:
    branch: Any
    target: Any
    title: Any

    def matches(self, pr: PullRequest) -> bool:
        return (
            (self.branch is None or self.branch.search(pr.branch) is not None)
            and (self.target is None or self.target.search(pr.target_branch) is not None)
            and (self.title is None or self.title.search(pr.title) is not None)
        )


def filter_pull_requests(
    prs: Sequence[PullRequest], filters: Sequence[Mapping[str, Any]]
) -> list[PullRequest]:
    compiled = [
        _PrFilter(
            _regex(f.get("branchMatch"), "branchMatch"),
            _regex(f.get("targetBranchMatch"), "targetBranchMatch"),
            _regex(f.get("titleMatch"), "titleMatch"),
        )
        for f in filters
    ]
    if not compiled:
        return list(prs)
    return [pr for pr in prs if any(f.matches(pr) for f in compiled)]


@dataclass(frozen=True)
class _ScmFilter:
    repository: Any
    label: Any
    branch: Any
    paths_exist: tuple[str, ...]
    paths_absent: tuple[str, ...]

    @property
    def on_branches(self) -> bool:
        return self.branch is not None

    def matches(self, provider: ScmProvider, repo: Repository) -> bool:
        if self.repository is not None and not self.repository.search(repo.repository):
            return False
        if self.branch is not None and not self.branch.search(repo.branch):
            return False
        if self.label is not None and not any(self.label.search(label) for label in repo.labels):
            return False
        if any(not provider.has_path(repo, p.rstrip("/")) for p in self.paths_exist):
            return False
        return not any(provider.has_path(repo, p.rstrip("/")) for p in self.paths_absent)


def _compile(filters: Sequence[Mapping[str, Any]]) -> list[_ScmFilter]:
    return [
        _ScmFilter(
            _regex(f.get("repositoryMatch"), "repositoryMatch"),
            _regex(f.get("labelMatch"), "labelMatch"),
            _regex(f.get("branchMatch"), "branchMatch"),
            tuple(str(p) for p in f.get("pathsExist") or ()),
            tuple(str(p) for p in f.get("pathsDoNotExist") or ()),
        )
        for f in filters
    ]


def has_branch_filter(filters: Sequence[Mapping[str, Any]]) -> bool:
    return any(f.get("branchMatch") is not None for f in filters)


def list_repositories(provider: ScmProvider, filters: Sequence[Mapping[str, Any]]) -> list[Repository]:
    """The provider's repositories (per branch) that pass the filters, in the provider's order."""
    compiled = _compile(filters)
    repo_filters = [f for f in compiled if not f.on_branches]
    branch_filters = [f for f in compiled if f.on_branches]
    repos = provider.list_repos()
    if repo_filters:
        repos = [r for r in repos if any(f.matches(provider, r) for f in repo_filters)]
    expanded = [b for r in repos for b in provider.branches(r)]
    if branch_filters:
        expanded = [r for r in expanded if any(f.matches(provider, r) for f in branch_filters)]
    return expanded
