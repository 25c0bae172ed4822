"""The shared SCM HTTP client's paging against a loopback server: ``Link: rel="next"`` (GitHub,
Gitea) is followed even when the server's pages are smaller than the size asked for."""

from __future__ import annotations

from argosy.appset.scm.client import Api
from support.scm_api import Reply, Request, paged, serve

ITEMS = [{"n": i} for i in range(5)]


def _linked(req: Request) -> Reply:
    page = int(req.query["page"])
    chunk, more = paged(ITEMS, page, 2)
    link = f'<http://x/items?page={page + 1}>; rel="next"' if more else '<http://x/items?page=1>; rel="first"'
    return 200, chunk, {"Link": link}


def test_link_header_pages_are_followed_past_short_pages() -> None:
    with serve(_linked) as (url, seen):
        items = Api(url, "scmProvider.gitea", limit_key="limit").pages("/items")
    assert items == ITEMS
    assert [(r.query["page"], r.query["limit"]) for r in seen] == [("1", "100"), ("2", "100"), ("3", "100")]
