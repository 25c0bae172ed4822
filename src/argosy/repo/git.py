"""Git working copies: one per repository URL, serialized per repository.

A refresh costs one ``git ls-remote``, shared by every app of the repository
within the request's ``max_age`` (the controller asks for its reconciliation
period, so a fleet of 1,000 apps on one repository costs one ls-remote per
period, not 1,000; a refresh request or a sync asks for 0, a fresh answer;
``--revision-cache-expiration`` caps it; a failed ls-remote is remembered for
30 s, and older refs are not used after it, so the error stays on the apps until
Git answers again - one ls-remote per repository every 30 s); the working
copy is fetched only when the wanted commit is not already in it, then checked
out detached and cleaned (``git clean -ffdx``) so files left by a previous
render (``helm dependency build`` output, edited kustomizations) never leak
into the next one. Requests
for one repository wait for each other on a per-URL lock; different
repositories proceed in parallel. ``$HOME`` is pointed at an empty directory
so the user's ~/.gitconfig, credential helpers and ssh keys play no part.
Every command that reaches the remote first passes the repository URL through
the process's :class:`~argosy.repo.urlpolicy.UrlPolicy` (no loopback, metadata
or local-path fetches unless allowed).

A Git server that is down, hangs or trickles must not hold a controller worker
for the 90 s exec timeout on every refresh: ``ls-remote`` (one small round trip,
run on every refresh) has its own, shorter request timeout (15 s, like Argo
CD's ``ARGOCD_GIT_REQUEST_TIMEOUT``; ``--git-request-timeout`` or
``ARGOSY_GIT_REQUEST_TIMEOUT``), fetches keep the exec timeout. A timeout is
reported as the repository being unreachable, naming the URL and the setting.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from argosy.repo import execute, tools
from argosy.repo.commitmeta import LOG_FORMAT, RevisionMetadata, parse_commit
from argosy.repo.credentials import git_auth
from argosy.repo.errors import (
    AuthenticationError,
    CommandTimeoutError,
    GitError,
    RevisionNotFoundError,
    UnreachableError,
)
from argosy.repo.metrics import FETCH, LS_REMOTE, git_request
from argosy.repo.redact import redact, strip_userinfo
from argosy.repo.revision import RemoteRefs, Resolved, parse_ls_remote, resolve
from argosy.repo.urlpolicy import UrlPolicy
from argosy.settings.repositories import Repository, RepositoryStore, normalize_git_url

DEFAULT_REQUEST_TIMEOUT = float(os.environ.get("ARGOSY_GIT_REQUEST_TIMEOUT", "15"))
# How long a failed ls-remote answers for its repository (apps sharing cached answers) before
# Git is asked again: the controller's retry interval for an unreachable repository.
FAILED_ANSWER_SECONDS = 30.0

_AUTH_HINTS = (
    "authentication failed",
    "could not read username",
    "could not read password",
    "terminal prompts disabled",
    "permission denied (publickey",
    "the requested url returned error: 401",
    "the requested url returned error: 403",
    "invalid username or password",
)
_UNREACHABLE_HINTS = (
    "could not resolve host",
    "connection refused",
    "failed to connect",
    "no route to host",
    "connection timed out",
    "network is unreachable",
    "ssl certificate problem",
    "server certificate verification failed",
    "host key verification failed",
    "couldn't connect to server",
    "connection closed by remote host",
    "operation too slow",
)


def _classify(stderr: str, what: str) -> GitError:
    low = stderr.lower()
    message = f"{what}: {stderr.strip() or 'git failed without a message'}"
    if "host key verification failed" in low:
        return UnreachableError(
            message
            + " (add the host key to argocd-ssh-known-hosts-cm, or set insecure: true on the repository)"
        )
    if any(h in low for h in _AUTH_HINTS):
        return AuthenticationError(message)
    if any(h in low for h in _UNREACHABLE_HINTS):
        return UnreachableError(message)
    return GitError(message)


class GitRepos:
    """All working copies under ``root``; thread-safe."""

    def __init__(
        self,
        root: Path,
        timeout: float | None = None,
        revision_cache_seconds: float = 180.0,
        clock: Callable[[], float] = time.monotonic,
        policy: UrlPolicy | None = None,
        request_timeout: float | None = None,
    ) -> None:
        self.root = root
        self.policy = policy if policy is not None else UrlPolicy.from_env()
        self.timeout = timeout
        self.request_timeout = DEFAULT_REQUEST_TIMEOUT if request_timeout is None else request_timeout
        self.revision_cache_seconds = revision_cache_seconds
        self._clock = clock
        # (repository key, credentials digest) -> (when, refs): answers are per credentials,
        # so a user without access never sees refs listed with someone else's token.
        self._refs: dict[tuple[str, str], tuple[float, RemoteRefs]] = {}
        # The same key -> (when, error) of the latest ls-remote when it failed.
        self._failed: dict[tuple[str, str], tuple[float, GitError]] = {}
        # What each working copy holds, so an untouched checkout of the same commit costs no
        # git process at all (a fleet of apps on one repository renders each path at one commit).
        self._origin: dict[str, str] = {}
        self._head: dict[str, str] = {}
        self._clean: set[str] = set()
        self._home = root / ".home"
        self._home.mkdir(parents=True, exist_ok=True)
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()
        self.ls_remote_calls = 0
        self.fetch_calls = 0

    def key(self, url: str) -> str:
        return hashlib.sha256((normalize_git_url(url) or url).encode()).hexdigest()[:24]

    def lock(self, url: str) -> threading.RLock:
        """The lock serializing every use of ``url``'s working copy."""
        with self._guard:
            return self._locks.setdefault(self.key(url), threading.RLock())

    def workdir(self, url: str) -> Path:
        return self.root / self.key(url)

    def _env(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "SSH_"))}
        # git-remote-http is git's child: if git is killed (timeout, or the repo server itself
        # killed), it would wait on a silent server forever; curl's low-speed limit ends it.
        silent = str(max(1, int(execute.DEFAULT_TIMEOUT if self.timeout is None else self.timeout)))
        env.update(
            HOME=str(self._home),
            GIT_LFS_SKIP_SMUDGE="1",
            LC_ALL="C",
            GIT_HTTP_LOW_SPEED_LIMIT="1",
            GIT_HTTP_LOW_SPEED_TIME=silent,
            **extra,
        )
        return env

    def _git(
        self,
        args: Sequence[str],
        repo: Repository,
        store: RepositoryStore,
        cwd: Path | None,
        what: str,
        timeout: float | None = None,
        setting: str = "--exec-timeout / ARGOSY_EXEC_TIMEOUT",
    ) -> str:
        self.policy.check(repo.url)  # only commands that reach the remote come through here
        with git_auth(repo, store) as auth:
            try:
                result = execute.run(
                    [tools.find("git"), *args],
                    cwd=cwd,
                    env=self._env(auth.env),
                    timeout=self.timeout if timeout is None else timeout,
                    secrets=auth.secrets,
                )
            except CommandTimeoutError as exc:
                raise UnreachableError(
                    f"{what}: no answer in time, the Git server is down, hanging or too slow ({exc}; "
                    f"the limit is {setting})"
                ) from None
            if result.returncode != 0:
                raise _classify(redact(result.stderr, auth.secrets), what)
            return result.text

    def _local(self, args: Sequence[str], cwd: Path, check: bool = True) -> execute.Result:
        result = execute.run([tools.find("git"), *args], cwd=cwd, env=self._env({}), timeout=self.timeout)
        if check and result.returncode != 0:
            raise GitError(f"git {args[0]} in {cwd.name}: {result.stderr.strip()}")
        return result

    def ls_remote(self, repo: Repository, store: RepositoryStore, max_age: float = 0.0) -> RemoteRefs:
        """The remote's branches, tags and HEAD: one round trip, or a cached answer younger
        than ``max_age`` seconds (capped by ``revision_cache_seconds``)."""
        digest = hashlib.sha256("\0".join([repo.url, *sorted(repo.secrets())]).encode()).hexdigest()
        cache_key = (self.key(repo.url), digest)
        max_age = min(max_age, self.revision_cache_seconds)
        if max_age > 0:
            with self._guard:
                cached = self._refs.get(cache_key)
                failed = self._failed.get(cache_key)
            # The last answer was a failure: never fall back on older refs (the app would flip
            # to "Synced" while Git is down); repeat it for a while rather than ask a server that
            # hangs once per app (every worker held for the request timeout), then ask again.
            if failed is not None and self._clock() - failed[0] < min(max_age, FAILED_ANSWER_SECONDS):
                raise type(failed[1])(str(failed[1]))
            if failed is None and cached is not None and self._clock() - cached[0] < max_age:
                return cached[1]
        asked = self._clock()
        try:
            refs = self._ls_remote(repo, store)
        except GitError as exc:
            with self._guard:
                self._failed[cache_key] = (asked, exc)
            raise
        with self._guard:
            self._refs[cache_key] = (asked, refs)
            self._failed.pop(cache_key, None)
        return refs

    def _ls_remote(self, repo: Repository, store: RepositoryStore) -> RemoteRefs:
        self.ls_remote_calls += 1
        with git_request(repo.url, LS_REMOTE):
            text = self._git(
                ["ls-remote", "--symref", repo.url],
                repo,
                store,
                None,
                f"git ls-remote {strip_userinfo(repo.url)}",
                timeout=self.request_timeout,
                setting="--git-request-timeout / ARGOSY_GIT_REQUEST_TIMEOUT",
            )
        return parse_ls_remote(text)

    def resolve(
        self, repo: Repository, store: RepositoryStore, revision: str, max_age: float = 0.0
    ) -> Resolved:
        from argosy.repo.revision import COMMIT_SHA

        if COMMIT_SHA.match(revision):
            return Resolved(revision.lower())
        return resolve(self.ls_remote(repo, store, max_age), revision, strip_userinfo(repo.url))

    def _ensure_init(self, repo: Repository) -> Path:
        wd = self.workdir(repo.url)
        key = self.key(repo.url)
        if not (wd / ".git").is_dir():
            wd.mkdir(parents=True, exist_ok=True)
            self._local(["init", "-q", "."], wd)
            self._local(["remote", "add", "origin", repo.url], wd)
        elif self._origin.get(key) != repo.url:
            self._local(["remote", "set-url", "origin", repo.url], wd)
        self._origin[key] = repo.url
        return wd

    def _has_commit(self, wd: Path, sha: str) -> str | None:
        result = self._local(["rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}"], wd, check=False)
        return result.text.strip() if result.returncode == 0 else None

    def checkout(self, repo: Repository, store: RepositoryStore, resolved: Resolved) -> tuple[Path, str]:
        """Make the working copy hold ``resolved`` (fetching only if missing); caller holds the lock.

        When the copy already holds that commit and no render touched it since, nothing runs.
        """
        key = self.key(repo.url)
        wd = self.workdir(repo.url)
        if (
            key in self._clean
            and self._head.get(key) == resolved.sha.lower()
            and self._origin.get(key) == repo.url
            and (wd / ".git").is_dir()
        ):
            return wd, self._head[key]
        self._clean.discard(key)
        wd, sha = self.fetch_commit(repo, store, resolved)
        self._local(["checkout", "--force", "--quiet", "--detach", sha], wd)
        self._local(["clean", "-ffdxq"], wd)
        self._head[key] = sha
        self._clean.add(key)
        return wd, sha

    def tree(self, wd: Path, sha: str) -> tuple[list[str], list[str]]:
        """Directories and files of commit ``sha`` (no checkout), in git's path order.

        Directories whose name starts with ``.`` are left out with all they hold,
        as Argo CD's repo server lists directories for ApplicationSets.
        """
        out = self._local(["ls-tree", "-r", "-t", "-z", "--full-tree", sha], wd).text
        dirs: list[str] = []
        files: list[str] = []
        for entry in out.split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            if any(part.startswith(".") for part in path.split("/")):
                continue
            (dirs if meta.split()[1] == "tree" else files).append(path)
        return dirs, files

    def read_blob(self, wd: Path, sha: str, path: str) -> bytes:
        """One file of commit ``sha``."""
        result = execute.run(
            [tools.find("git"), "cat-file", "blob", f"{sha}:{path}"],
            cwd=wd,
            env=self._env({}),
            timeout=self.timeout,
        )
        if result.returncode != 0:
            raise GitError(f"{path} at {sha[:8]}: {result.stderr.strip()}")
        return result.stdout

    def commit_metadata(self, wd: Path, sha: str) -> RevisionMetadata:
        """Author, date, message and tags of commit ``sha``, already in the working copy
        (:meth:`fetch_commit`); read from the object store, not the checked-out files."""
        log_output = self._local(["log", "-1", LOG_FORMAT, sha, "--"], wd).text
        tags = self._local(["tag", "--points-at", sha], wd).text
        return parse_commit(log_output, tags)

    def fetch_commit(self, repo: Repository, store: RepositoryStore, resolved: Resolved) -> tuple[Path, str]:
        """Make sure the working copy's object store has ``resolved`` (fetching only if missing);
        the checked-out files are left as they are (listings read the commit, not the files)."""
        wd = self._ensure_init(repo)
        sha = self._has_commit(wd, resolved.sha)
        shown = strip_userinfo(repo.url)
        if sha is None:
            self.fetch_calls += 1
            with git_request(repo.url, FETCH):
                self._git(
                    [
                        "fetch",
                        "--force",
                        "--prune",
                        "--tags",
                        "origin",
                        "+refs/heads/*:refs/remotes/origin/*",
                    ],
                    repo,
                    store,
                    wd,
                    f"git fetch {shown}",
                )
            sha = self._has_commit(wd, resolved.sha)
        if sha is None and not resolved.truncated:
            try:
                with git_request(repo.url, FETCH):
                    self._git(
                        ["fetch", "--force", "origin", resolved.sha], repo, store, wd, f"git fetch {shown}"
                    )
            except GitError as exc:
                if isinstance(exc, AuthenticationError | UnreachableError):
                    raise
            sha = self._has_commit(wd, resolved.sha)
        if sha is None:
            raise RevisionNotFoundError(f"commit {resolved.sha!r} not found in {shown}")
        return wd, sha

    def changed_files(self, url: str, old: str, new: str) -> list[str] | None:
        """Files changed between two commits, or None when ``old`` is unknown locally."""
        wd = self.workdir(url)
        if not (wd / ".git").is_dir() or self._has_commit(wd, old) is None:
            return None
        out = self._local(["diff", "--name-only", "-z", old, new], wd).text
        return [p for p in out.split("\0") if p]

    def reset(self, url: str, touched: bool = True) -> None:
        """Undo a render's edits to the working copy (kustomization overrides, chart deps).

        ``touched=False`` (a plain-directory render, which only reads) keeps the copy as is.
        """
        wd = self.workdir(url)
        key = self.key(url)
        if not touched and self._head.get(key):
            return
        self._clean.discard(key)
        if (wd / ".git").is_dir():
            self._local(["reset", "--hard", "--quiet"], wd)
            self._local(["clean", "-ffdxq"], wd)
            if self._head.get(key):
                self._clean.add(key)
