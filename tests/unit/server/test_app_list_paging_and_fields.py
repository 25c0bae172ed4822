"""Application lists in memory: label selectors, repo filter, ``fields`` projection and paging."""

from __future__ import annotations

from typing import Any

import pytest

from argosy.server.errors import APIError
from argosy.server.listing import (
    label_matcher,
    page,
    parse_fields,
    project,
    repo_matcher,
    under,
)


def _app(name: str, labels: dict[str, str] | None = None, repo: str = "https://git/x.git") -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": labels or {}, "resourceVersion": "7"},
        "spec": {"project": "default", "source": {"repoURL": repo, "path": "p"}},
        "status": {"sync": {"status": "Synced", "revision": "abc"}, "health": {"status": "Healthy"}},
    }


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("", ["a", "b", "c"]),
        ("env=prod", ["a"]),
        ("env==prod", ["a"]),
        ("env!=prod", ["b", "c"]),
        ("env", ["a", "b"]),
        ("!env", ["c"]),
        ("env in (prod, dev)", ["a", "b"]),
        ("env notin (prod),tier=web", ["b", "c"]),
    ],
)
def test_label_selectors_match_as_kubernetes_does(selector: str, expected: list[str]) -> None:
    apps = [_app("a", {"env": "prod"}), _app("b", {"env": "dev", "tier": "web"}), _app("c", {"tier": "web"})]
    matches = label_matcher(selector)
    assert [a["metadata"]["name"] for a in apps if matches(a)] == expected


def test_an_unreadable_selector_is_a_400_naming_the_part() -> None:
    with pytest.raises(APIError) as err:
        label_matcher("env=prod,(oops")
    with pytest.raises(APIError):
        label_matcher("a=(b")
    assert "(oops" in err.value.message


def test_repo_filter_ignores_case_trailing_slash_and_dot_git() -> None:
    matches = repo_matcher("https://GIT/x/")
    assert matches(_app("a")) and not matches(_app("b", repo="https://git/y.git"))
    multi = _app("m")
    multi["spec"] = {"sources": [{"repoURL": "https://git/y"}, {"repoURL": "https://git/x"}]}
    assert matches(multi)


def test_fields_keep_only_the_named_paths_of_each_item() -> None:
    paths = parse_fields(["items.metadata.name,items.status.sync.status", "metadata.resourceVersion"])
    items = project([_app("a"), _app("b")], under(paths, ["items"]))
    assert items == [
        {"metadata": {"name": "a"}, "status": {"sync": {"status": "Synced"}}},
        {"metadata": {"name": "b"}, "status": {"sync": {"status": "Synced"}}},
    ]
    assert project({"x": 1}, []) == {"x": 1}
    # a path that stops at a whole object keeps all of it; a missing one adds nothing
    assert project(_app("a"), [["spec"], ["operation", "sync"]]) == {"spec": _app("a")["spec"]}
    # a whole object named before or after a part of it stays whole
    assert project(_app("a"), [["spec", "project"], ["spec"]]) == {"spec": _app("a")["spec"]}
    assert project(_app("a"), [["spec"], ["spec", "project"]]) == {"spec": _app("a")["spec"]}


def test_pages_follow_each_other_until_the_last() -> None:
    apps = [_app(f"app-{i:02d}") for i in range(7)]
    seen: list[str] = []
    token, pages = "", 0
    while True:
        chunk, token = page(apps, 3, token, "42")
        pages += 1
        seen += [a["metadata"]["name"] for a in chunk]
        if not token:
            break
    assert pages == 3 and seen == [a["metadata"]["name"] for a in apps]
    assert page(apps, 0, "", "42") == (apps, "")


def test_hidden_apps_fill_no_page_and_leave_no_token_at_the_end() -> None:
    apps = [_app(f"app-{i}") for i in range(6)]
    visible = {"app-0", "app-2", "app-3"}
    keep = lambda a: a["metadata"]["name"] in visible  # noqa: E731
    first, token = page(apps, 2, "", "1", keep)
    assert [a["metadata"]["name"] for a in first] == ["app-0", "app-2"] and token
    second, token = page(apps, 2, token, "1", keep)
    assert [a["metadata"]["name"] for a in second] == ["app-3"] and token == ""
    exact, token = page(apps, 3, "", "1", keep)
    assert len(exact) == 3 and token == ""  # a full last page says so: no empty page to fetch


def test_a_continue_token_resumes_after_its_name_even_when_items_came_and_went() -> None:
    apps = [_app(n) for n in ("a", "b", "c", "d")]
    _, token = page(apps, 2, "", "1")
    later = [_app(n) for n in ("a", "bb", "c", "d")]  # b deleted, bb created after it
    chunk, _ = page(later, 2, token, "2")
    assert [a["metadata"]["name"] for a in chunk] == ["bb", "c"]


def test_bad_paging_input_is_a_400() -> None:
    with pytest.raises(APIError, match="not one this server gave"):
        page([_app("a")], 1, "garbage!!", "1")
    with pytest.raises(APIError, match="limit"):
        page([_app("a")], -1, "", "1")
