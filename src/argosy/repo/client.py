"""Talk to a repo server over HTTP with the same interface as the in-process service.

The controller holds a :class:`RepoClient` and does not care which one: a
:class:`~argosy.repo.service.RepoService` in ``--core`` mode and tests, an
:class:`HttpRepoClient` when the repo server runs as its own process. Errors
come back as the same typed exceptions.
"""

from __future__ import annotations

import hashlib
from typing import Any, Protocol, runtime_checkable

import httpx

from argosy.repo.commitmeta import RevisionMetadata
from argosy.repo.errors import RepoError, UnreachableError, error_from_code
from argosy.repo.request import RenderRequest
from argosy.repo.result import RenderResult
from argosy.settings.repositories import RepositoryStore, normalize_git_url


class RepoClient(Protocol):
    def render(self, req: RenderRequest) -> RenderResult: ...

    def app_details(self, req: RenderRequest) -> dict[str, Any]: ...


@runtime_checkable
class RevisionReader(Protocol):
    """What the API server's ``/revisions/{revision}/metadata`` asks of a repo service."""

    def revision_metadata(
        self, repo_url: str, revision: str, store: RepositoryStore, project: str = ""
    ) -> RevisionMetadata: ...


@runtime_checkable
class RepositoryTester(Protocol):
    """What the API server's "test connection" (``/repositories/{repo}/validate``) asks of a repo service."""

    def test_repository(self, repo_url: str, store: RepositoryStore, project: str = "") -> None: ...


class HttpRepoClient:
    """Client of ``argosy repo-server`` (``http://127.0.0.1:8081`` by default).

    Several replicas may be given (``"http://a:8081,http://b:8081"``): requests for one
    repository go to the same replica while it answers (rendezvous hashing of the
    repository URL), so its working copy and render cache stay warm; when it does not
    answer, the next replica in that repository's order takes the request (any replica
    can serve any request).
    """

    def __init__(self, base_url: str = "http://127.0.0.1:8081", timeout: float = 300.0) -> None:
        self.urls = [u.strip().rstrip("/") for u in base_url.split(",") if u.strip()]
        if not self.urls:
            raise ValueError("repo server address: empty")
        self.base_url = self.urls[0]
        self._clients = {u: httpx.Client(base_url=u, timeout=timeout) for u in self.urls}

    def order(self, repo_url: str) -> list[str]:
        """Replicas in preference order for ``repo_url`` (stable while the list is)."""
        key = normalize_git_url(repo_url) or repo_url

        def score(url: str) -> bytes:
            return hashlib.blake2b(f"{url}|{key}".encode(), digest_size=8).digest()

        return sorted(self.urls, key=score, reverse=True)

    def _post(self, repo_url: str, path: str, body: dict[str, Any]) -> tuple[str, httpx.Response]:
        """POST ``body`` to the first replica that answers, in ``repo_url``'s preference order."""
        failures = []
        for url in self.order(repo_url):
            try:
                return url, self._clients[url].post(path, json=body)
            except httpx.HTTPError as exc:
                failures.append(f"repo server {url}: {exc}")
        raise UnreachableError("; ".join(failures))

    @staticmethod
    def _first_repo(req: RenderRequest) -> str:
        return str((req.sources[0] if req.sources else {}).get("repoURL") or "")

    def render(self, req: RenderRequest) -> RenderResult:
        return self._result(*self._post(self._first_repo(req), "/api/v1/render", req.to_dict()))

    def revision_metadata(
        self, repo_url: str, revision: str, store: RepositoryStore, project: str = ""
    ) -> RevisionMetadata:
        """The repo server's ``POST /api/v1/revision-metadata``, on the replica that holds the repository."""
        body = {
            "repoURL": repo_url,
            "revision": revision,
            "project": project,
            "repositories": store.to_dict(),
        }
        answer = self._answer(*self._post(repo_url, "/api/v1/revision-metadata", body))
        return RevisionMetadata.from_dict(answer)

    def test_repository(self, repo_url: str, store: RepositoryStore, project: str = "") -> None:
        """Reach ``repo_url`` from the replica that serves it (the API server's "test connection")."""
        body = {"repoURL": repo_url, "project": project, "repositories": store.to_dict()}
        self._answer(*self._post(repo_url, "/api/v1/test-repository", body))  # raises unless 200

    def app_details(self, req: RenderRequest) -> dict[str, Any]:
        """The repo server's :func:`argosy.repo.appdetails.app_details` for ``req``'s source."""
        return self._answer(*self._post(self._first_repo(req), "/api/v1/appdetails", req.to_dict()))

    @staticmethod
    def _answer(url: str, resp: httpx.Response) -> dict[str, Any]:
        """The JSON of a 200 answer; the typed error the server named otherwise."""
        if resp.status_code == 200:
            return dict(resp.json())
        try:
            body = resp.json()
        except ValueError:
            raise RepoError(f"repo server {url}: HTTP {resp.status_code}: {resp.text[:500]}") from None
        raise error_from_code(str(body.get("code", "")), str(body.get("message", resp.text[:500])))

    @staticmethod
    def _result(url: str, resp: httpx.Response) -> RenderResult:
        return RenderResult.from_dict(HttpRepoClient._answer(url, resp))

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
