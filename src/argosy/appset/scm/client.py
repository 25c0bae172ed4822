"""The one HTTP client every SCM provider module uses, and how tokens are read from Secrets.

Providers differ only in how they authenticate (a header built by the
provider module) and how they page: GitHub, Gitea and GitLab number pages
(``page`` plus a page size, following ``Link: rel="next"`` or GitLab's
``X-Next-Page`` when the server sends them, else stopping at a short page);
Bitbucket Server pages by offset (``start``/``limit``, answering ``values``,
``isLastPage`` and ``nextPageStart``). Keeping both styles here means TLS,
error messages and the rule that a token never appears in a message are
written once.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any, Literal

import httpx

from argosy.appset.scm.model import RepositoryNotFound, ScmError
from argosy.repo.errors import UrlNotAllowedError
from argosy.repo.urlpolicy import UrlPolicy
from argosy.settings.secrets import SecretDataError, secret_key

PER_PAGE = 100
SecretGetter = Callable[[str], Mapping[str, Any] | None]
Paging = Literal["pages", "offset"]


def q(text: str) -> str:
    """One URL path segment (``group/project`` becomes ``group%2Fproject``, as GitLab wants ids)."""
    return urllib.parse.quote(text, safe="")


def q_path(path: str) -> str:
    """A repository file path, each segment quoted but the slashes kept."""
    return "/".join(q(p) for p in path.split("/"))


class Api:
    """GETs JSON from one provider's API; ``None`` means 404 (or Bitbucket's empty 204)."""

    def __init__(
        self,
        base: str,
        what: str,
        headers: Mapping[str, str] | None = None,
        insecure: bool = False,
        paging: Paging = "pages",
        limit_key: str = "per_page",
        policy: UrlPolicy | None = None,
    ) -> None:
        self.base = base.rstrip("/")
        self.what = what
        self.paging = paging
        self.limit_key = limit_key
        self.client = httpx.Client(
            headers={"Accept": "application/json", **(headers or {})},
            timeout=30.0,
            verify=not insecure,
            # The API URL is written in the ApplicationSet: the repo service's URL policy applies.
            event_hooks={"request": [(policy or UrlPolicy.from_env()).httpx_hook(what)]},
        )

    def _response(self, path: str, params: Mapping[str, Any] | None) -> httpx.Response | None:
        url = f"{self.base}{path}"
        try:
            resp = self.client.get(url, params=dict(params or {}))
        except httpx.HTTPError as exc:
            raise ScmError(f"{self.what}: GET {url} failed: {type(exc).__name__}") from None
        except UrlNotAllowedError as exc:
            raise ScmError(str(exc)) from None
        if resp.status_code in (404, 204):
            return None
        if resp.status_code != 200:
            raise ScmError(
                f"{self.what}: GET {url} answered {resp.status_code}; check the token and the names"
            )
        return resp

    def _json(self, resp: httpx.Response) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise ScmError(f"{self.what}: GET {resp.request.url} did not answer JSON") from None

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        resp = self._response(path, params)
        return None if resp is None else self._json(resp)

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        """Every item of a listing; raises :class:`RepositoryNotFound` when the listing is a 404."""
        if self.paging == "offset":
            return self._offset_pages(path, params or {})
        return self._numbered_pages(path, params or {})

    def _page(self, path: str, params: Mapping[str, Any]) -> tuple[Any, httpx.Response]:
        resp = self._response(path, params)
        if resp is None:
            raise RepositoryNotFound(f"{self.what}: {self.base}{path} not found")
        return self._json(resp), resp

    def _numbered_pages(self, path: str, params: Mapping[str, Any]) -> list[Any]:
        out: list[Any] = []
        page = 1
        while True:
            items, resp = self._page(path, {**params, self.limit_key: PER_PAGE, "page": page})
            if not isinstance(items, list):
                raise ScmError(f"{self.what}: {self.base}{path} did not answer a list")
            out.extend(items)
            if "link" in resp.headers:
                if "next" not in resp.links:
                    return out
                page += 1
            elif "x-next-page" in resp.headers:
                following = resp.headers["x-next-page"].strip()
                if not following:
                    return out
                page = int(following)
            elif len(items) < PER_PAGE:
                return out
            else:
                page += 1

    def _offset_pages(self, path: str, params: Mapping[str, Any]) -> list[Any]:
        out: list[Any] = []
        start = 0
        while True:
            body, _ = self._page(path, {**params, "limit": PER_PAGE, "start": start})
            values = body.get("values") if isinstance(body, Mapping) else None
            if not isinstance(values, list):
                raise ScmError(f"{self.what}: {self.base}{path} did not answer a page of values")
            out.extend(values)
            following = body.get("nextPageStart")
            if body.get("isLastPage", True) or following is None or int(following) <= start:
                return out
            start = int(following)


def secret_value(ref: Any, secret: SecretGetter, what: str, field: str) -> str:
    """The value ``ref`` (``{secretName, key}``) points at; ``""`` when there is no reference.

    ``field`` is the spec path of the reference (``tokenRef``,
    ``basicAuth.passwordRef``) so an error says which one to fix.
    """
    if not isinstance(ref, Mapping) or not ref:
        return ""
    name, key = str(ref.get("secretName") or ""), str(ref.get("key") or "")
    try:
        return secret_key(secret(name), name, key, field=field)
    except SecretDataError as exc:
        raise ScmError(f"{what}: {exc}") from None


def refuse_ca_ref(provider: Mapping[str, Any], what: str) -> None:
    """``caRef`` (a ConfigMap of CA certificates) is not read yet; say so rather than ignore it."""
    if provider.get("caRef"):
        raise ScmError(
            f"{what}.caRef is not supported yet; remove it and trust the server's CA in the "
            "controller's system trust store (or set insecure: true)"
        )
