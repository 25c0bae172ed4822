"""Talk to a repo server over HTTP with the same interface as the in-process service.

The controller holds a :class:`RepoClient` and does not care which one: a
:class:`~argosy.repo.service.RepoService` in ``--core`` mode and tests, an
:class:`HttpRepoClient` when the repo server runs as its own process. Errors
come back as the same typed exceptions.
"""

from __future__ import annotations

from typing import Protocol

import httpx

from argosy.repo.errors import RepoError, UnreachableError, error_from_code
from argosy.repo.request import RenderRequest
from argosy.repo.result import RenderResult


class RepoClient(Protocol):
    def render(self, req: RenderRequest) -> RenderResult: ...


class HttpRepoClient:
    """Client of ``argosy repo-server`` (``http://127.0.0.1:8081`` by default)."""

    def __init__(self, base_url: str = "http://127.0.0.1:8081", timeout: float = 300.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._client = httpx.Client(base_url=self.base_url, timeout=timeout)

    def render(self, req: RenderRequest) -> RenderResult:
        try:
            resp = self._client.post("/api/v1/render", json=req.to_dict())
        except httpx.HTTPError as exc:
            raise UnreachableError(f"repo server {self.base_url}: {exc}") from None
        if resp.status_code == 200:
            return RenderResult.from_dict(resp.json())
        try:
            body = resp.json()
        except ValueError:
            raise RepoError(
                f"repo server {self.base_url}: HTTP {resp.status_code}: {resp.text[:500]}"
            ) from None
        raise error_from_code(str(body.get("code", "")), str(body.get("message", resp.text[:500])))

    def close(self) -> None:
        self._client.close()
