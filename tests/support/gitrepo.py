"""A bare Git repository plus a scratch work tree to commit into it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

_ENV = {
    "GIT_AUTHOR_NAME": "argosy-tests",
    "GIT_AUTHOR_EMAIL": "tests@argosy.invalid",
    "GIT_COMMITTER_NAME": "argosy-tests",
    "GIT_COMMITTER_EMAIL": "tests@argosy.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(*args: str, cwd: Path | None = None) -> str:
    env = {**os.environ, **_ENV, "HOME": str(cwd or Path.cwd())}
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


class GitRepo:
    """``bare`` is what servers publish; ``work`` is where tests commit (pushed on every change)."""

    def __init__(self, bare: Path, branch: str = "main") -> None:
        self.bare = bare
        self.work = bare.with_name(bare.name.removesuffix(".git") + ".work")
        self.default_branch = branch
        git("init", "-q", "--bare", "-b", branch, str(bare))
        git("config", "http.receivepack", "true", cwd=bare)
        git("config", "uploadpack.allowAnySHA1InWant", "true", cwd=bare)
        git("init", "-q", "-b", branch, str(self.work))

    def commit(self, files: dict[str, str | None], message: str = "update", branch: str | None = None) -> str:
        """Write (or delete, with None) files on ``branch`` and push; returns the new commit."""
        branch = branch or self.default_branch
        if not self._has_commits():
            git("symbolic-ref", "HEAD", f"refs/heads/{branch}", cwd=self.work)
        elif git("branch", "--list", branch, cwd=self.work):
            git("checkout", "-q", branch, cwd=self.work)
        else:
            git("checkout", "-q", "-b", branch, cwd=self.work)
        for rel, content in files.items():
            path = self.work / rel
            if content is None:
                if path.is_symlink() or path.exists():
                    path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.is_symlink():
                path.unlink()
            path.write_text(content)
        git("add", "-A", cwd=self.work)
        git("commit", "-q", "--allow-empty", "-m", message, cwd=self.work)
        git("push", "-q", "--force", str(self.bare), f"{branch}:refs/heads/{branch}", cwd=self.work)
        return self.sha(branch)

    def symlink(self, rel: str, target: str, message: str = "symlink") -> str:
        path = self.work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)
        return self.commit({}, message)

    def _has_commits(self) -> bool:
        return (
            subprocess.run(
                ["git", "rev-parse", "--verify", "-q", "HEAD"], cwd=self.work, capture_output=True
            ).returncode
            == 0
        )

    def sha(self, ref: str = "HEAD") -> str:
        return git("rev-parse", ref, cwd=self.work)

    def tag(self, name: str, ref: str = "HEAD", annotated: bool = False) -> None:
        args = ["tag", "-f", "-a", name, "-m", name, ref] if annotated else ["tag", "-f", name, ref]
        git(*args, cwd=self.work)
        git("push", "-q", "--force", str(self.bare), f"refs/tags/{name}", cwd=self.work)

    def move_branch(self, branch: str, sha: str) -> None:
        """Point ``branch`` at ``sha`` on the server (a force-push)."""
        git("push", "-q", "--force", str(self.bare), f"{sha}:refs/heads/{branch}", cwd=self.work)
