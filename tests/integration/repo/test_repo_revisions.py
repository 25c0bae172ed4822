"""targetRevision kinds against a real smart-HTTP server, and what a refresh costs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from argosy.repo import RenderResult, RepoService
from argosy.repo.errors import RevisionNotFoundError
from support.git_server import GitHttpServer
from support.gitrepo import GitRepo
from support.naming import unique
from support.secrets import application

CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  v: '{v}'\n"


def _repo(git_server: GitHttpServer) -> tuple[str, GitRepo, dict[str, str]]:
    name = unique("revs")
    repo = git_server.create_repo(name)
    shas = {"one": repo.commit({"app/cm.yaml": CM.format(name="cm", v="one")}, "one")}
    repo.tag("v1.0.0")
    shas["two"] = repo.commit({"app/cm.yaml": CM.format(name="cm", v="two")}, "two")
    repo.tag("v1.1.0", annotated=True)
    shas["feature"] = repo.commit({"app/cm.yaml": CM.format(name="cm", v="feature")}, "f", branch="feature")
    return git_server.url(name), repo, shas


def _value(result: RenderResult) -> str:
    objs = result.manifests()
    assert len(objs) == 1
    return str(objs[0]["data"]["v"])


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        ("main", "two"),
        ("refs/heads/main", "two"),
        ("feature", "feature"),
        ("v1.0.0", "one"),
        ("v1.1.0", "two"),  # annotated tag, peeled to its commit
        ("HEAD", "two"),
        ("", "two"),
        (">=1.0.0 <1.1.0", "one"),  # semver range over tags
    ],
)
def test_named_revisions(
    git_server: GitHttpServer, render: Callable[..., RenderResult], revision: str, expected: str
) -> None:
    url, _, shas = _repo(git_server)
    result = render(application({"repoURL": url, "path": "app", "targetRevision": revision}))
    assert _value(result) == expected
    assert result.revision == shas[expected]


def test_full_and_short_sha(git_server: GitHttpServer, render: Callable[..., RenderResult]) -> None:
    url, _, shas = _repo(git_server)
    full = render(application({"repoURL": url, "path": "app", "targetRevision": shas["one"]}))
    assert (_value(full), full.revision) == ("one", shas["one"])
    short = render(application({"repoURL": url, "path": "app", "targetRevision": shas["feature"][:9]}))
    assert (_value(short), short.revision) == ("feature", shas["feature"])


def test_unknown_revision_is_a_typed_error(
    git_server: GitHttpServer, render: Callable[..., RenderResult]
) -> None:
    url, _, _ = _repo(git_server)
    with pytest.raises(RevisionNotFoundError, match="no-such-branch"):
        render(application({"repoURL": url, "path": "app", "targetRevision": "no-such-branch"}))
    with pytest.raises(RevisionNotFoundError, match="deadbeef1"):
        render(application({"repoURL": url, "path": "app", "targetRevision": "deadbeef1"}))


def test_refresh_costs_one_ls_remote_and_moved_branch_is_picked_up(
    git_server: GitHttpServer, render: Callable[..., RenderResult], service: RepoService
) -> None:
    url, repo, shas = _repo(git_server)
    name = url.rsplit("/", 1)[1].removesuffix(".git")
    app = application({"repoURL": url, "path": "app", "targetRevision": "main"})
    first = render(app)
    assert not first.cached and service.renders == 1
    info, fetches = git_server.count("info", name), git_server.count("fetch", name)

    again = render(app)
    assert again.cached and again.revision == first.revision
    assert service.renders == 1, "no render when the commit did not change"
    assert git_server.count("info", name) == info + 1, "exactly one ls-remote"
    assert git_server.count("fetch", name) == fetches, "no fetch when the commit did not change"

    repo.move_branch("main", shas["one"])
    moved = render(app)
    assert moved.revision == shas["one"] and _value(moved) == "one"
    new = repo.commit({"app/cm.yaml": CM.format(name="cm", v="three")}, "three")
    repo.move_branch("main", new)
    third = render(app)
    assert third.revision == new and _value(third) == "three" and not third.cached
    assert git_server.count("fetch", name) > fetches


def test_periodic_refreshes_of_many_apps_share_one_ls_remote_until_it_is_too_old(
    git_server: GitHttpServer, render: Callable[..., RenderResult], service: RepoService
) -> None:
    """A fleet on one repository costs one ls-remote per reconciliation period, not one per app."""
    url, repo, shas = _repo(git_server)
    name = url.rsplit("/", 1)[1].removesuffix(".git")
    apps = [
        application({"repoURL": url, "path": "app", "targetRevision": "main"}, name=f"a{i}")
        for i in range(20)
    ]
    render(apps[0], revision_max_age=180.0)
    info = git_server.count("info", name)
    for app in apps:
        assert render(app, revision_max_age=180.0).revision == shas["two"]
    assert git_server.count("info", name) == info, "periodic refreshes reuse the recent answer"

    new = repo.commit({"app/cm.yaml": CM.format(name="cm", v="three")}, "three")
    cached = render(apps[1], revision_max_age=180.0)
    assert cached.revision == shas["two"], "within max age the branch is not asked again"
    fresh = render(apps[1])  # a refresh request or a sync: max age 0 (ls-remote, then fetch)
    assert fresh.revision == new
    info = git_server.count("info", name)
    assert render(apps[2], revision_max_age=180.0).revision == new, "the fresh answer is shared too"
    assert git_server.count("info", name) == info
    service.git.revision_cache_seconds = 0.0  # --revision-cache-expiration 0 turns the sharing off
    render(apps[3], revision_max_age=180.0)
    assert git_server.count("info", name) == info + 1


def test_concurrent_renders_of_one_repository_are_serialized_and_correct(
    git_server: GitHttpServer, service: RepoService
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from argosy.repo import RenderRequest

    name = unique("concurrent")
    files: dict[str, str | None] = {f"app{i}/cm.yaml": CM.format(name=f"cm{i}", v=str(i)) for i in range(6)}
    git_server.create_repo(name).commit(files)
    other = unique("concurrent-other")
    git_server.create_repo(other).commit({"x/cm.yaml": CM.format(name="other", v="o")})

    def one(i: int) -> str:
        url, path = (git_server.url(name), f"app{i}") if i < 6 else (git_server.url(other), "x")
        req = RenderRequest.from_application(application({"repoURL": url, "path": path}))
        return str(service.render(req).manifests()[0]["metadata"]["name"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        names = list(pool.map(one, range(7)))
    assert names == [*(f"cm{i}" for i in range(6)), "other"]
    assert git_server.count("fetch", name) == 1, "one fetch for the repository, shared by all renders"
