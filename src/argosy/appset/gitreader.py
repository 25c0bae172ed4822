"""The git generator's view of repositories, through Argosy's repo service.

One :class:`RepoGitReader` serves one generation pass: each (repository,
revision) is resolved and listed once, so a matrix that reads the same
repository for every cluster costs one ``ls-remote`` and one listing, and a
commit already fetched is never fetched again. Credentials come from the
repository Secrets, as for Applications.
"""

from __future__ import annotations

from argosy.repo.service import RepoService
from argosy.settings.repositories import RepositoryStore


class RepoGitReader:
    """:class:`~argosy.appset.generators.GitReader` over :class:`RepoService`."""

    def __init__(self, service: RepoService, store: RepositoryStore, project: str = "") -> None:
        self.service = service
        self.store = store
        self.project = project
        self._listings: dict[tuple[str, str], tuple[str, list[str], list[str]]] = {}

    def _listing(self, repo_url: str, revision: str) -> tuple[str, list[str], list[str]]:
        key = (repo_url, revision)
        if key not in self._listings:
            self._listings[key] = self.service.git_listing(repo_url, revision, self.store, self.project)
        return self._listings[key]

    def directories(self, repo_url: str, revision: str) -> list[str]:
        return self._listing(repo_url, revision)[1]

    def files(self, repo_url: str, revision: str) -> list[str]:
        return self._listing(repo_url, revision)[2]

    def read(self, repo_url: str, revision: str, path: str) -> bytes:
        sha = self._listing(repo_url, revision)[0]
        return self.service.git_file(repo_url, sha, path, self.store, self.project)

    def revision(self, repo_url: str, revision: str) -> str:
        """The commit the listing was taken at."""
        return self._listing(repo_url, revision)[0]
