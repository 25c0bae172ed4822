"""Resolve ``targetRevision`` to a commit from one ``git ls-remote``.

Argo CD's rules: a 40-hex SHA is used as is; otherwise the revision (empty
means ``HEAD``) is matched against the remote's refs by short name
(``main``, ``v1.0``) or full name (``refs/heads/main``); ``HEAD`` follows the
remote's symbolic ref; a 7+ hex string that names no ref is taken as a
truncated SHA (completed after fetching). As in newer Argo CD, a semver
constraint (``>=1.0 <2``, ``1.2.*``) picks the highest matching tag.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from argosy.repo.errors import RevisionNotFoundError
from argosy.repo.semverrange import best_match, is_constraint

COMMIT_SHA = re.compile(r"^[0-9a-fA-F]{40}$")
TRUNCATED_SHA = re.compile(r"^[0-9a-fA-F]{7,}$")


@dataclass
class RemoteRefs:
    """The remote's refs: full name -> commit (annotated tags peeled), and symbolic refs."""

    refs: dict[str, str] = field(default_factory=dict)
    symrefs: dict[str, str] = field(default_factory=dict)


def parse_ls_remote(text: str) -> RemoteRefs:
    """Parse ``git ls-remote --symref`` output."""
    out = RemoteRefs()
    peeled: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        left, _, name = line.partition("\t")
        if left.startswith("ref: "):
            out.symrefs[name] = left[5:]
        elif name.endswith("^{}"):
            peeled[name[:-3]] = left
        else:
            out.refs[name] = left
    out.refs.update(peeled)
    return out


def _short(name: str) -> str:
    for prefix in ("refs/heads/", "refs/tags/", "refs/remotes/", "refs/"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


@dataclass(frozen=True)
class Resolved:
    """A resolved revision: ``sha`` may be truncated when ``truncated`` (completed after fetch)."""

    sha: str
    ref: str = ""
    truncated: bool = False


def resolve(refs: RemoteRefs, revision: str, repo_url: str = "") -> Resolved:
    """Apply Argo CD's resolution rules; the error names the revision and repository."""
    if COMMIT_SHA.match(revision):
        return Resolved(revision.lower())
    rev = revision or "HEAD"
    if rev == "HEAD" and "HEAD" in refs.symrefs:
        target = refs.symrefs["HEAD"]
        if target in refs.refs:
            return Resolved(refs.refs[target], target)
    # Branches before tags, as git itself prefers when a name is ambiguous.
    for name in sorted(refs.refs, key=lambda n: (not n.startswith("refs/heads/"), n)):
        if name == rev or _short(name) == rev:
            return Resolved(refs.refs[name], name)
    if is_constraint(rev):
        tags = {_short(n): n for n in refs.refs if n.startswith("refs/tags/")}
        best = best_match(rev, list(tags))
        if best is not None:
            return Resolved(refs.refs[tags[best]], tags[best])
    if TRUNCATED_SHA.match(rev):
        return Resolved(rev.lower(), truncated=True)
    where = f" of {repo_url}" if repo_url else ""
    raise RevisionNotFoundError(
        f"unable to resolve {revision or 'HEAD'!r} to a commit SHA: no branch or tag{where}"
    )
