"""Provider-neutral repositories and pull requests, and the interface providers implement."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol


class ScmError(ValueError):
    """A provider answered with an error; the message names the provider and what to check."""


class RepositoryNotFound(ScmError):
    """The repository of a pull request generator does not exist (or the token cannot see it)."""


@dataclass(frozen=True)
class PullRequest:
    number: int
    title: str
    branch: str
    target_branch: str
    head_sha: str
    author: str = ""
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Repository:
    """One repository at one branch (a repository with several branches is listed once per branch)."""

    organization: str
    repository: str
    url: str
    branch: str = ""
    sha: str = ""
    labels: tuple[str, ...] = ()
    repository_id: Any = None
    paths: tuple[str, ...] = field(default=(), compare=False)

    def at(self, branch: str, sha: str) -> Repository:
        """The same repository at another branch (``allBranches`` lists one per branch)."""
        return replace(self, branch=branch, sha=sha)


class ScmProvider(Protocol):
    """One organisation on one hosting service (what ``scmProvider.<provider>`` names)."""

    def list_repos(self) -> list[Repository]:
        """Every repository, each at its default branch."""
        ...

    def branches(self, repo: Repository) -> list[Repository]:
        """The repository once per branch (``allBranches``), or once at its default branch."""
        ...

    def has_path(self, repo: Repository, path: str) -> bool:
        """Whether ``path`` exists in the repository at ``repo.branch``."""
        ...


class PullRequestProvider(Protocol):
    """The open pull requests of one repository (what ``pullRequest.<provider>`` names)."""

    def list(self) -> list[PullRequest]:
        """Raises :class:`RepositoryNotFound` when the repository does not exist."""
        ...


class ScmSource(Protocol):
    """Makes the provider clients a generator's spec asks for (tokens read by the caller)."""

    def scm_provider(self, spec: Mapping[str, Any]) -> ScmProvider: ...

    def pull_requests(self, spec: Mapping[str, Any]) -> PullRequestProvider: ...
