"""Retry backoff and Go-style durations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sync_helpers import STARTED

from argosy.engine.durations import parse_seconds
from argosy.engine.sync import DurationError, RetryPolicy, Severity, parse_retry


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5s", 5),
        ("3m", 180),
        ("1h30m", 5400),
        ("1.5h", 5400),
        ("300ms", 0.3),
        ("2m0.5s", 120.5),
        ("1us", 1e-6),
        ("30", 30),
        ("0", 0),
        ("+10s", 10),
    ],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert timedelta(seconds=parse_seconds(text)) == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["", "5 s", "abc", "5sec", "1d", "s", "."])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(DurationError, match="1h30m"):
        parse_seconds(text)


def test_argo_cd_default_backoff() -> None:
    policy = RetryPolicy(limit=10)
    assert [policy.delay(n).total_seconds() for n in range(8)] == [5, 10, 20, 40, 80, 160, 180, 180]
    assert policy.next_retry_at(STARTED, 1) == STARTED + timedelta(seconds=10)


def test_custom_backoff_from_the_spec() -> None:
    policy, problems = parse_retry(
        {"limit": 3, "backoff": {"duration": "2s", "factor": 3, "maxDuration": "1m"}}
    )
    assert problems == []
    assert [policy.delay(n).total_seconds() for n in range(5)] == [2, 6, 18, 54, 60]


def test_limit_counts_retries_and_negative_means_forever() -> None:
    assert [RetryPolicy(limit=2).can_retry(n) for n in range(4)] == [True, True, False, False]
    assert not RetryPolicy(limit=0).can_retry(0)
    assert RetryPolicy(limit=-1).can_retry(10_000)


def test_missing_retry_means_none_except_for_automated_sync() -> None:
    assert parse_retry(None)[0].limit == 0
    assert parse_retry(None, automated=True)[0].limit == 5


def test_bad_retry_fields_are_reported_with_their_path_and_defaults_kept() -> None:
    policy, problems = parse_retry(
        {"limit": "five", "backoff": {"duration": "soon", "factor": 0, "maxDuration": "-1m"}},
        field="operation.retry",
    )
    assert policy == RetryPolicy()
    assert all(p.severity is Severity.ERROR for p in problems)
    assert [p.field for p in problems] == [
        "operation.retry.limit",
        "operation.retry.backoff.duration",
        "operation.retry.backoff.maxDuration",
        "operation.retry.backoff.factor",
    ]


def test_zero_max_duration_means_no_cap() -> None:
    policy, _ = parse_retry({"limit": 1, "backoff": {"maxDuration": "0"}})
    assert policy.delay(10) == timedelta(seconds=5 * 2**10)
