"""The webhook route's limits without a server: per-IP token buckets and the payload cap setting."""

from __future__ import annotations

import pytest

from argosy.server.routes import webhook
from argosy.server.routes.webhook import TokenBuckets, max_payload_bytes
from argosy.server.webhook import DEFAULT_MAX_PAYLOAD_BYTES


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_passes_then_the_bucket_refills_at_the_rate() -> None:
    clock = Clock()
    buckets = TokenBuckets(rate=2.0, burst=3.0, clock=clock)
    assert [buckets.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    clock.now += 0.5  # one token back at 2/s
    assert buckets.allow("10.0.0.1")
    assert not buckets.allow("10.0.0.1")
    clock.now += 100  # refills up to the burst, never beyond
    assert [buckets.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]


def test_each_client_has_its_own_bucket() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1.0, clock=Clock())
    assert buckets.allow("a")
    assert not buckets.allow("a")
    assert buckets.allow("b")


def test_rate_zero_turns_the_limit_off() -> None:
    buckets = TokenBuckets(rate=0.0, burst=1.0, clock=Clock())
    assert all(buckets.allow("a") for _ in range(1000))


def test_idle_clients_are_forgotten_when_too_many_are_tracked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook, "MAX_TRACKED_CLIENTS", 10)
    clock = Clock()
    buckets = TokenBuckets(rate=1.0, burst=2.0, clock=clock)
    for i in range(10):
        buckets.allow(f"idle-{i}")
    clock.now += 10  # every idle bucket is full again
    assert buckets.allow("busy")  # the 11th client: the full (idle) buckets are dropped
    assert set(buckets._buckets) == {"busy"}


def test_retry_after_is_the_time_to_one_token() -> None:
    assert TokenBuckets(rate=0.25, burst=1.0).retry_after() == 4
    assert TokenBuckets(rate=50.0, burst=1.0).retry_after() == 1


def test_limits_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGOSY_WEBHOOK_RATE_LIMIT", "5")
    monkeypatch.setenv("ARGOSY_WEBHOOK_RATE_BURST", "7")
    buckets = TokenBuckets.from_env()
    assert (buckets.rate, buckets.burst) == (5.0, 7.0)
    monkeypatch.setenv("ARGOSY_WEBHOOK_RATE_LIMIT", "lots")
    assert TokenBuckets.from_env().rate == webhook.DEFAULT_RATE


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, DEFAULT_MAX_PAYLOAD_BYTES),
        ("", DEFAULT_MAX_PAYLOAD_BYTES),
        ("10", 10 * 1024 * 1024),
        ("0.5", 512 * 1024),
        ("0", DEFAULT_MAX_PAYLOAD_BYTES),
        ("-3", DEFAULT_MAX_PAYLOAD_BYTES),
        ("big", DEFAULT_MAX_PAYLOAD_BYTES),
    ],
)
def test_max_payload_size_setting(value: str | None, expected: int) -> None:
    cm = {} if value is None else {"webhook.maxPayloadSizeMB": value}
    assert max_payload_bytes(cm) == expected
