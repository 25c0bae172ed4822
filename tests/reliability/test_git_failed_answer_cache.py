"""A failed ``ls-remote`` is not papered over by older cached refs, and is retried after 30 s.

The controller's periodic reconciles accept cached ``ls-remote`` answers; if a
failure fell back on refs cached before it, an app would flip back to
"Synced" a moment after its refresh reported Git down. Real git against a
repository that disappears and comes back; an injected clock for the 30 s.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from argosy.repo.errors import GitError
from argosy.repo.git import FAILED_ANSWER_SECONDS, GitRepos
from argosy.settings.repositories import RepositoryStore
from support.gitrepo import GitRepo

PERIOD = 180.0  # the controller's reconciliation period: how old a shared answer may be


def test_failed_ls_remote_is_repeated_then_retried_never_replaced_by_older_refs(tmp_path: Path) -> None:
    origin = GitRepo(tmp_path / "origin.git")
    sha = origin.commit({"app/cm.yaml": "kind: ConfigMap\n"})
    now = [1000.0]
    repos = GitRepos(tmp_path / "cache", timeout=30, clock=lambda: now[0])
    store = RepositoryStore.from_objects([])
    repo = store.lookup(f"file://{origin.bare}")

    assert repos.ls_remote(repo, store).refs["refs/heads/main"] == sha
    gone = origin.bare.rename(tmp_path / "moved.git")  # the server loses the repository
    with pytest.raises(GitError) as refreshed:
        repos.ls_remote(repo, store, max_age=0)  # a refresh asks Git
    assert str(origin.bare) in str(refreshed.value)

    calls = repos.ls_remote_calls
    now[0] += 1
    with pytest.raises(GitError):  # a periodic reconcile: the failure, not the refs from before it
        repos.ls_remote(repo, store, max_age=PERIOD)
    assert repos.ls_remote_calls == calls, "within 30 s the failure answers without asking Git"

    now[0] += FAILED_ANSWER_SECONDS
    with pytest.raises(GitError):
        repos.ls_remote(repo, store, max_age=PERIOD)
    assert repos.ls_remote_calls == calls + 1, "after 30 s Git is asked again"

    gone.rename(origin.bare)  # back
    now[0] += FAILED_ANSWER_SECONDS
    assert repos.ls_remote(repo, store, max_age=PERIOD).refs["refs/heads/main"] == sha
    now[0] += 1
    assert repos.ls_remote(repo, store, max_age=PERIOD).refs["refs/heads/main"] == sha
    assert repos.ls_remote_calls == calls + 2, "once Git answers, the answer is shared again"
