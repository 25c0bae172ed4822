"""Revision resolution rules and semver ranges, without a server."""

from __future__ import annotations

import pytest

from argosy.repo.errors import RevisionNotFoundError
from argosy.repo.revision import parse_ls_remote, resolve
from argosy.repo.semverrange import best_match, is_constraint, matches

A, B, C, T = "a" * 40, "b" * 40, "c" * 40, "d" * 40
LS = f"""ref: refs/heads/main\tHEAD
{A}\tHEAD
{A}\trefs/heads/main
{B}\trefs/heads/release
{T}\trefs/tags/v1.0.0
{C}\trefs/tags/v1.0.0^{{}}
{B}\trefs/tags/v1.2.3
{B}\trefs/tags/release
"""


@pytest.mark.parametrize(
    ("revision", "sha"),
    [
        ("", A),
        ("HEAD", A),
        ("main", A),
        ("refs/heads/release", B),
        ("release", B),  # branch wins over a tag of the same name
        ("v1.0.0", C),  # annotated tag peeled
        (">=1.1", B),
        ("1.0.*", C),
        (B, B),
    ],
)
def test_resolution(revision: str, sha: str) -> None:
    assert resolve(parse_ls_remote(LS), revision).sha == sha


def test_truncated_sha_is_completed_later() -> None:
    r = resolve(parse_ls_remote(LS), "abcdef1")
    assert r.truncated and r.sha == "abcdef1"


def test_unknown_names_fail_with_the_revision() -> None:
    with pytest.raises(RevisionNotFoundError, match=r"'nope'.*http://x"):
        resolve(parse_ls_remote(LS), "nope", "http://x")


@pytest.mark.parametrize(
    ("constraint", "version", "ok"),
    [
        ("1.2.*", "1.2.9", True),
        ("1.2.*", "1.3.0", False),
        (">=1.0 <2", "1.9.9", True),
        (">=1.0, <2", "2.0.0", False),
        ("^1.2", "1.9.0", True),
        ("^0.2.3", "0.3.0", False),
        ("~1.2.0", "1.2.7", True),
        ("~1.2.0", "1.3.0", False),
        ("<1.0 || >=3", "3.1.0", True),
        (">=1.0", "2.0.0-rc.1", False),
        (">=2.0.0-0", "2.0.0-rc.1", True),
        ("v1.x", "v1.4.0", True),
    ],
)
def test_ranges(constraint: str, version: str, ok: bool) -> None:
    assert matches(constraint, version) is ok


def test_best_match_and_constraint_detection() -> None:
    assert best_match(">=1.0 <2", ["0.9.0", "1.0.0", "1.10.0", "1.9.0", "2.0.0"]) == "1.10.0"
    assert best_match("9.*", ["1.0.0"]) is None
    assert is_constraint("1.2.*") and is_constraint(">=1") and not is_constraint("1.2.3")
    assert not is_constraint("main") and not is_constraint("fix-x")
