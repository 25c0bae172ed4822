"""Pull request and SCM provider generators against a loopback server answering as Bitbucket
Server's REST API 1.0 documents (pull requests, project repositories, default branch, branches,
browse). The server pages by two items (``start``/``isLastPage``/``nextPageStart``) whatever
``limit`` is asked for, and wants Basic or Bearer authentication.
"""

from __future__ import annotations

import base64
from typing import Any

from support.scm_api import Reply, Request, generate, paged, serve

PASSWORD = "bb-password"
TOKEN = "bb-http-access-token"
SECRETS = {
    "bb": {
        "data": {
            "password": base64.b64encode(PASSWORD.encode()).decode(),
            "token": base64.b64encode(TOKEN.encode()).decode(),
        }
    }
}
BASIC = {"username": "argosy", "passwordRef": {"secretName": "bb", "key": "password"}}
BEARER = {"tokenRef": {"secretName": "bb", "key": "token"}}
Obj = dict[str, Any]


def _ref(branch: str, sha: str) -> Obj:
    return {"id": f"refs/heads/{branch}", "displayId": branch, "latestCommit": sha}


def _pr(pid: int, title: str, branch: str, user: str) -> Obj:
    return {
        "id": pid,
        "title": title,
        "state": "OPEN",
        "fromRef": _ref(branch, f"{pid}".ljust(40, "a")),
        "toRef": _ref("master", "f" * 40),
        "author": {"user": {"name": user, "displayName": user.title()}, "role": "AUTHOR"},
    }


PRS = [
    _pr(1, "Add tea", "feature/Tea", "alice"),
    _pr(2, "Cups", "cups", "bob"),
    _pr(3, "Mugs", "mugs", "carol"),
]


def _repo(rid: int, slug: str, name: str) -> Obj:
    return {
        "id": rid,
        "slug": slug,
        "name": name,
        "project": {"key": "COF"},
        "links": {
            "clone": [
                {"name": "http", "href": f"https://bitbucket.example.com/scm/cof/{slug}.git"},
                {"name": "ssh", "href": f"ssh://git@bitbucket.example.com:7999/cof/{slug}.git"},
            ]
        },
    }


REPOS = [_repo(1, "espresso", "espresso"), _repo(2, "empty", "empty"), _repo(3, "flat-white", "Flat White")]
BRANCHES = {"espresso": ["master", "release-1", "release-2"], "flat-white": ["master"]}


def _page(items: list[Any], req: Request) -> Reply:
    start = int(req.query.get("start", "0"))
    chunk, more = paged(items, start // 2 + 1, 2)
    body = {"values": chunk, "size": len(chunk), "start": start, "isLastPage": not more}
    return 200, body | ({"nextPageStart": start + 2} if more else {}), {}


def _authorised(req: Request) -> bool:
    basic = base64.b64encode(f"argosy:{PASSWORD}".encode()).decode()
    auth = req.headers.get("authorization")
    return (
        auth in (f"Basic {basic}", f"Bearer {TOKEN}") and req.headers.get("x-atlassian-token") == "no-check"
    )


def _bitbucket(req: Request) -> Reply:
    if not _authorised(req):
        return 401, {"errors": [{"message": "Authentication failed"}]}, {}
    path = req.raw_path.removeprefix("/rest/api/1.0/projects")
    if path == "/COF/repos/shop/pull-requests":
        return _page(PRS, req)
    if path == "/COF/repos":
        return _page(REPOS, req)
    for slug, names in BRANCHES.items():
        branches = [_ref(n, f"{slug[0]}{n}".ljust(40, "0")) for n in names]
        if path == f"/COF/repos/{slug}/branches/default":
            return 200, branches[0], {}
        if path == f"/COF/repos/{slug}/branches":
            return _page(branches, req)
        if path == f"/COF/repos/{slug}/browse/deploy" and slug == "flat-white":
            return 200, {"type": "DIRECTORY"}, {}
    if path == "/COF/repos/empty/branches/default":
        return 204, None, {}
    return 404, {"errors": [{"message": f"{path} does not exist"}]}, {}


def test_pull_requests_over_two_pages_with_basic_auth_and_branch_filter() -> None:
    with serve(_bitbucket) as (url, seen):
        bitbucket = {"project": "COF", "repo": "shop", "api": f"{url}/rest", "basicAuth": BASIC}
        generator = {
            "pullRequest": {"bitbucketServer": bitbucket, "filters": [{"branchMatch": "^(feature/|mugs)"}]}
        }
        result = generate(generator, "pr-{{number}}-{{branch_slug}}-{{author}}-{{head_short_sha}}", SECRETS)
    assert result.errors == []
    assert [a["metadata"]["name"] for a in result.applications] == [
        "pr-1-feature-tea-alice-1aaaaaaa",
        "pr-3-mugs-carol-3aaaaaaa",
    ]
    assert [r.query["start"] for r in seen] == ["0", "2"]


def test_pull_request_labels_are_empty_and_a_missing_repository_can_be_tolerated() -> None:
    with serve(_bitbucket) as (url, _):
        bitbucket = {"project": "COF", "repo": "shop", "api": f"{url}/rest", "bearerToken": BEARER}
        labelled = generate(
            {"pullRequest": {"bitbucketServer": bitbucket, "filters": [{"titleMatch": "tea"}]}},
            "pr-{{ .number }}",
            SECRETS,
            go_template=True,
            annotations={"labels": '[{{ join "," .labels }}]', "target": "{{ .target_branch }}"},
        )
        gone = {**bitbucket, "repo": "gone"}
        missing = generate({"pullRequest": {"bitbucketServer": gone}}, "pr-{{number}}", SECRETS)
        tolerated = generate(
            {"pullRequest": {"bitbucketServer": gone, "continueOnRepoNotFoundError": True}},
            "pr-{{number}}",
            SECRETS,
        )
    assert labelled.errors == []
    assert [a["metadata"]["annotations"] for a in labelled.applications] == [
        {"labels": "[]", "target": "master"}
    ]
    assert missing.failed_generators == [0] and "not found" in missing.errors[0]
    assert tolerated.errors == [] and tolerated.applications == []


def test_project_repositories_skip_no_default_branch_and_name_the_repository_as_argo_cd() -> None:
    with serve(_bitbucket) as (url, _):
        bitbucket = {"project": "COF", "api": f"{url}/rest", "bearerToken": BEARER}
        result = generate(
            {"scmProvider": {"bitbucketServer": bitbucket, "cloneProtocol": "https"}},
            "{{ normalize .repository }}",
            SECRETS,
            go_template=True,
            annotations={"repo": "{{ .repository }}", "url": "{{ .url }}", "sha": "{{ .short_sha_7 }}"},
        )
    assert result.errors == []
    assert [(a["metadata"]["name"], a["metadata"]["annotations"]) for a in result.applications] == [
        (
            "espresso",
            {
                "repo": "espresso",
                "url": "https://bitbucket.example.com/scm/cof/espresso.git",
                "sha": "emaster",
            },
        ),
        (
            "flat-white",
            {
                "repo": "Flat White",
                "url": "https://bitbucket.example.com/scm/cof/flat-white.git",
                "sha": "fmaster",
            },
        ),
    ]


def test_project_all_branches_paths_and_ssh_urls() -> None:
    with serve(_bitbucket) as (url, seen):
        bitbucket = {"project": "COF", "api": f"{url}/rest", "basicAuth": BASIC, "allBranches": True}
        releases = generate(
            {"scmProvider": {"bitbucketServer": bitbucket, "filters": [{"branchMatch": "^release-"}]}},
            "{{repository}}-{{branch}}",
            SECRETS,
        )
        deployable = generate(
            {
                "scmProvider": {
                    "bitbucketServer": {**bitbucket, "allBranches": False},
                    "filters": [{"pathsExist": ["deploy/"]}],
                }
            },
            "{{ normalize .repository }}",
            SECRETS,
            go_template=True,
            annotations={"url": "{{ .url }}"},
        )
    assert releases.errors == [] and deployable.errors == []
    assert [a["metadata"]["name"] for a in releases.applications] == [
        "espresso-release-1",
        "espresso-release-2",
    ]
    assert [a["metadata"]["annotations"]["url"] for a in deployable.applications] == [
        "ssh://git@bitbucket.example.com:7999/cof/flat-white.git"
    ]
    browsed = [r for r in seen if "/browse/" in r.raw_path]
    assert {r.query["at"] for r in browsed} == {"master"}


def test_missing_credentials_are_refused_and_the_secret_is_never_shown() -> None:
    with serve(_bitbucket) as (url, _):
        anonymous = {"project": "COF", "repo": "shop", "api": f"{url}/rest"}
        refused = generate({"pullRequest": {"bitbucketServer": anonymous}}, "pr-{{number}}", SECRETS)
        no_key = {**anonymous, "basicAuth": {**BASIC, "passwordRef": {"secretName": "bb", "key": "nope"}}}
        misnamed = generate({"pullRequest": {"bitbucketServer": no_key}}, "pr-{{number}}", SECRETS)
    assert "answered 401" in refused.errors[0]
    assert "basicAuth.passwordRef.key" in misnamed.errors[0]
    assert all(PASSWORD not in e and TOKEN not in e for e in refused.errors + misnamed.errors)
