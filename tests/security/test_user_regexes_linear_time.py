"""User-written regular expressions run in linear time, with Go's syntax and semantics.

Hostile input: ``(a+)+$`` against thirty ``a``s and ``!`` made Python's
backtracking ``re`` run for over a minute in RBAC regex mode (a project admin
or an ApplicationSet author could write such a pattern). Every user-written
pattern now goes through :mod:`argosy.engine.regex` (RE2, as Go's ``regexp``).
"""

from __future__ import annotations

import time

import pytest

from argosy.appset.gotemplate.functions import FUNCTIONS
from argosy.appset.scm.filters import filter_pull_requests
from argosy.appset.scm.model import PullRequest, ScmError
from argosy.engine.regex import RegexError, compile_go, search
from argosy.imageupdater.strategy import parse_allow_tags
from argosy.server.rbac import Enforcer, config_from_data

CATASTROPHIC = "(a+)+$"
HOSTILE_VALUE = "a" * 30 + "!"
LIMIT_SECONDS = 1.0  # the backtracking engine needed minutes; RE2 needs microseconds


def _timed(check: object) -> float:
    started = time.perf_counter()
    assert callable(check)
    check()
    return time.perf_counter() - started


def test_rbac_regex_mode_answers_a_catastrophic_pattern_at_once() -> None:
    config = config_from_data(
        {"policy.matchMode": "regex", "policy.csv": f"p, alice, applications, get, {CATASTROPHIC}, allow"}
    )
    enforcer = Enforcer.from_config(config, use_builtin=False)
    took = _timed(lambda: enforcer.enforce("alice", "applications", "get", HOSTILE_VALUE))
    assert not enforcer.enforce("alice", "applications", "get", HOSTILE_VALUE)
    assert enforcer.enforce("alice", "applications", "get", "proj/" + "a" * 30)
    assert took < LIMIT_SECONDS, f"{took:.3f} s"
    assert config.warnings == ()


def test_rbac_regex_mode_warns_about_a_pattern_go_refuses_and_never_matches_it() -> None:
    policy = "p, alice, applications, get, proj/.*, allow\np, bob, applications, get, (a)\\1, allow\n"
    config = config_from_data({"policy.matchMode": "regex", "policy.csv": policy})
    [warning] = config.warnings
    assert "argocd-rbac-cm key policy.csv line 2: object '(a)\\\\1'" in warning
    assert "never matches" in warning and "no backreferences" in warning
    enforcer = Enforcer.from_config(config, use_builtin=False)
    assert not enforcer.enforce("bob", "applications", "get", "aa")
    assert enforcer.enforce("alice", "applications", "get", "proj/web")


def test_patterns_follow_go_semantics() -> None:
    assert search("team-", "proj/team-a"), "MatchString: a match anywhere"
    assert not search("^web$", "web\n"), "Go's $ is the very end, not before a final newline"
    assert not search("a.c", "a\nc"), "Go's . does not match a newline"
    for refused in ("(?=a)", "(?<=a)b", "(a)\\1", "a\\Z", "a{1001}", "(["):
        with pytest.raises(RegexError, match="is not a valid regular expression"):
            compile_go(refused)


def test_applicationset_filters_and_template_functions_match_in_linear_time() -> None:
    pr = PullRequest(number=1, title="t", branch=HOSTILE_VALUE, target_branch="main", head_sha="s")
    took = _timed(lambda: filter_pull_requests([pr], [{"branchMatch": CATASTROPHIC}]))
    assert filter_pull_requests([pr], [{"branchMatch": CATASTROPHIC}]) == []
    took += _timed(lambda: FUNCTIONS["regexMatch"](CATASTROPHIC, HOSTILE_VALUE))
    took += _timed(lambda: FUNCTIONS["regexReplaceAll"](CATASTROPHIC, HOSTILE_VALUE, "x"))
    assert FUNCTIONS["regexReplaceAll"]("a(b+)", "xabbby", "<$1>") == "x<bbb>y"
    assert took < LIMIT_SECONDS, f"{took:.3f} s"
    with pytest.raises(ScmError, match="branchMatch '\\(\\?=x\\)' is not a valid regular expression"):
        filter_pull_requests([pr], [{"branchMatch": "(?=x)"}])


def test_image_updater_allow_tags_match_in_linear_time() -> None:
    allowed = parse_allow_tags(f"regexp:{CATASTROPHIC}")
    took = _timed(lambda: allowed(HOSTILE_VALUE))
    assert not allowed(HOSTILE_VALUE) and allowed("aaaa")
    assert took < LIMIT_SECONDS, f"{took:.3f} s"


@pytest.mark.parametrize("separators", ["", "/"])
def test_a_glob_of_many_stars_answers_at_once(separators: str) -> None:
    """Found by the glob fuzz target: globs (project sourceRepos, destinations, RBAC glob mode)
    were translated to Python ``re``, and forty ``*`` against a value that does not match ran for
    minutes. They run on RE2 now, and still mean what they meant."""
    from argosy.engine.glob import glob_match

    pattern, value = "*" * 40 + "x", "a" * 60
    took = _timed(lambda: glob_match(pattern, value, separators=separators))
    assert not glob_match(pattern, value, separators=separators)
    assert glob_match(pattern, value + "x", separators=separators)
    assert glob_match("team a/*", "team a/web") and not glob_match("team a/*", "team b/web")
    assert took < LIMIT_SECONDS, f"{took:.2f} s"
