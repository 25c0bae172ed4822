"""Pull request and SCM provider generators against a loopback server answering as GitLab's REST
API v4 documents (merge requests, group projects, branches, repository files and tree). The server
pages by two items with ``X-Next-Page`` whatever page size is asked for, and wants the token as
``PRIVATE-TOKEN``.
"""

from __future__ import annotations

import base64
from typing import Any

from support.scm_api import Reply, Request, generate, paged, serve

TOKEN = "glpat-test-token"
SHA = "6104942438c14ec7bd21c6cd5bd995272b3faff6"
SECRETS = {"gl-token": {"data": {"token": base64.b64encode(TOKEN.encode()).decode()}}}
TOKEN_REF = {"secretName": "gl-token", "key": "token"}
Obj = dict[str, Any]


def _mr(iid: int, title: str, branch: str, labels: list[str], author: str) -> Obj:
    return {
        "id": 9000 + iid,
        "iid": iid,
        "title": title,
        "state": "opened",
        "source_branch": branch,
        "target_branch": "main",
        "sha": SHA,
        "author": {"id": 1, "username": author, "name": author.title()},
        "labels": labels,
    }


MRS = [
    _mr(11, "Add tea", "feat/Tea_Time", ["preview", "team-a"], "alice"),
    _mr(12, "Draft: cups", "cups", ["team-a"], "bob"),
    _mr(13, "Mugs", "mugs", ["preview"], "carol"),
    _mr(14, "Saucers", "saucers", ["preview"], "dan"),
]


def _project(pid: int, path: str, namespace: str, topics: list[str]) -> Obj:
    return {
        "id": pid,
        "path": path,
        "name": path.title(),
        "namespace": {"full_path": namespace},
        "default_branch": "main",
        "http_url_to_repo": f"https://gitlab.example.com/{namespace}/{path}.git",
        "ssh_url_to_repo": f"git@gitlab.example.com:{namespace}/{path}.git",
        "topics": topics,
    }


PROJECTS = [
    _project(1, "espresso", "coffee", ["prod"]),
    _project(2, "latte", "coffee/milk", []),
    _project(3, "mocha", "coffee", ["prod", "sweet"]),
]
BRANCHES = {1: ["main", "release-1", "release-2"], 2: ["main"], 3: ["main"]}


def _page(items: list[Any], req: Request) -> Reply:
    page = int(req.query.get("page", "1"))
    chunk, more = paged(items, page, 2)
    return 200, chunk, {"X-Next-Page": str(page + 1) if more else "", "X-Page": str(page)}


def _gitlab(req: Request) -> Reply:
    if req.headers.get("private-token") != TOKEN:
        return 401, {"message": "401 Unauthorized"}, {}
    path = req.raw_path.removeprefix("/api/v4")
    if path == "/projects/coffee%2Fshop/merge_requests":
        wanted = [label for label in req.query.get("labels", "").split(",") if label]
        mrs = [mr for mr in MRS if set(wanted) <= set(mr["labels"])]
        return _page(mrs, req)
    if path == "/groups/coffee/projects":
        projects = PROJECTS if req.query.get("include_subgroups") == "true" else PROJECTS[::2]
        return _page(projects, req)
    for pid, names in BRANCHES.items():
        base = f"/projects/{pid}/repository/branches"
        branches = [{"name": n, "commit": {"id": f"{pid}{n}".ljust(40, "0")}} for n in names]
        if path == base:
            return _page(branches, req)
        if path.startswith(f"{base}/"):
            found = [b for b in branches if b["name"] == path.removeprefix(f"{base}/")]
            return (200, found[0], {}) if found else (404, {"message": "404 Branch Not Found"}, {})
    if path == "/projects/3/repository/files/deploy%2Fkustomization.yaml":
        return 200, {"file_path": "deploy/kustomization.yaml", "ref": req.query.get("ref")}, {}
    if path == "/projects/1/repository/tree" and req.query.get("path") == "deploy/kustomization.yaml":
        return 200, [], {}
    return 404, {"message": "404 Project Not Found"}, {}


def test_merge_requests_over_two_pages_filtered_by_labels_and_branch() -> None:
    with serve(_gitlab) as (url, seen):
        gitlab = {"project": "coffee/shop", "api": url, "tokenRef": TOKEN_REF, "labels": ["preview"]}
        generator = {
            "pullRequest": {
                "gitlab": {**gitlab, "pullRequestState": "opened"},
                "filters": [{"branchMatch": "^(feat/.*|mugs)$"}],
            }
        }
        result = generate(generator, "mr-{{number}}-{{branch_slug}}-{{author}}", SECRETS)
    assert result.errors == []
    assert [a["metadata"]["name"] for a in result.applications] == [
        "mr-11-feat-tea-time-alice",
        "mr-13-mugs-carol",
    ]
    listed = [r for r in seen if r.raw_path.endswith("/merge_requests")]
    assert [r.query.get("page") for r in listed] == ["1", "2"]
    assert all(r.query["labels"] == "preview" and r.query["state"] == "opened" for r in listed)


def test_merge_request_labels_reach_go_templates_and_unknown_project_can_be_tolerated() -> None:
    with serve(_gitlab) as (url, _):
        gitlab = {"project": "coffee/shop", "api": url, "tokenRef": TOKEN_REF}
        result = generate(
            {"pullRequest": {"gitlab": gitlab, "filters": [{"titleMatch": "tea"}]}},
            'mr-{{ .number }}-{{ join "-" .labels }}-{{ .head_short_sha_7 }}',
            SECRETS,
            go_template=True,
        )
        gone = {**gitlab, "project": "coffee/gone"}
        missing = generate({"pullRequest": {"gitlab": gone}}, "mr-{{number}}", SECRETS)
        tolerated = generate(
            {"pullRequest": {"gitlab": gone, "continueOnRepoNotFoundError": True}}, "mr-{{number}}", SECRETS
        )
    assert result.errors == []
    assert [a["metadata"]["name"] for a in result.applications] == ["mr-11-preview-team-a-6104942"]
    assert missing.failed_generators == [0] and "not found" in missing.errors[0]
    assert tolerated.errors == [] and tolerated.applications == []


def test_group_projects_with_subgroups_all_branches_and_branch_filter() -> None:
    with serve(_gitlab) as (url, seen):
        gitlab = {
            "group": "coffee",
            "api": url,
            "tokenRef": TOKEN_REF,
            "includeSubgroups": True,
            "includeSharedProjects": False,
            "allBranches": True,
        }
        generator = {"scmProvider": {"gitlab": gitlab, "filters": [{"branchMatch": "^release-"}]}}
        result = generate(generator, "{{repository}}-{{branch}}-{{short_sha}}", SECRETS)
    assert result.errors == []
    assert [a["metadata"]["name"] for a in result.applications] == [
        "espresso-release-1-1release",
        "espresso-release-2-1release",
    ]
    listed = [r for r in seen if r.raw_path.endswith("/groups/coffee/projects")]
    assert [r.query["page"] for r in listed] == ["1", "2"]
    assert listed[0].query["include_subgroups"] == "true" and listed[0].query["with_shared"] == "false"


def test_group_projects_default_branch_ssh_urls_labels_and_paths() -> None:
    with serve(_gitlab) as (url, _):
        gitlab = {"group": "coffee", "api": url, "tokenRef": TOKEN_REF, "includeSubgroups": True}
        every = generate(
            {"scmProvider": {"gitlab": gitlab}},
            "{{repository}}",
            SECRETS,
        )
        with_path = generate(
            {
                "scmProvider": {
                    "gitlab": gitlab,
                    "cloneProtocol": "https",
                    "filters": [{"labelMatch": "^prod$", "pathsExist": ["deploy/kustomization.yaml"]}],
                }
            },
            "{{organization}}-{{repository}}-{{branch}}",
            SECRETS,
        )
    assert every.errors == [] and with_path.errors == []
    assert [a["metadata"]["name"] for a in every.applications] == ["espresso", "latte", "mocha"]
    assert [a["metadata"]["name"] for a in with_path.applications] == ["coffee-mocha-main"]


def test_scm_parameters_match_argo_cd_for_a_gitlab_project() -> None:
    with serve(_gitlab) as (url, _):
        gitlab = {"group": "coffee", "api": url, "tokenRef": TOKEN_REF}
        result = generate(
            {"scmProvider": {"gitlab": gitlab, "filters": [{"repositoryMatch": "mocha"}]}},
            "{{ .repository }}",
            SECRETS,
            go_template=True,
            annotations={
                "url": "{{ .url }}",
                "labels": "{{ .labels }}",
                "sha": "{{ .sha }}",
                "id": "{{ .repository_id }}",
                "org": "{{ .organization }}",
            },
        )
    assert result.errors == []
    assert [a["metadata"]["annotations"] for a in result.applications] == [
        {
            "url": "git@gitlab.example.com:coffee/mocha.git",
            "labels": "prod,sweet",
            "sha": "3main".ljust(40, "0"),
            "id": "3",
            "org": "coffee",
        }
    ]


def test_wrong_token_and_disallowed_api_are_errors_without_the_token() -> None:
    with serve(_gitlab) as (url, _):
        bad = {"bad": {"data": {"token": base64.b64encode(b"nope").decode()}}}
        gitlab = {"project": "coffee/shop", "api": url, "tokenRef": {"secretName": "bad", "key": "token"}}
        refused = generate({"pullRequest": {"gitlab": gitlab}}, "mr-{{number}}", bad)
        other = generate(
            {"pullRequest": {"gitlab": {**gitlab, "tokenRef": TOKEN_REF}}},
            "mr-{{number}}",
            SECRETS,
            allowed=["https://gitlab.example.com"],
        )
    assert "answered 401" in refused.errors[0] and "nope" not in refused.errors[0]
    assert "not allowed" in other.errors[0] and TOKEN not in other.errors[0]
