"""Failed-login throttling per user name (Argo CD's max-fail-count and window)."""

from __future__ import annotations

import pytest

from argosy.server.auth.lockout import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_locked_after_max_failures_until_window_passes() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=3, window_seconds=60, clock=clock)
    for _ in range(2):
        throttle.record("eve", failed=True)
    assert not throttle.locked_out("eve")
    throttle.record("eve", failed=True)
    assert throttle.locked_out("eve") and not throttle.locked_out("bob")
    clock.now += 59
    assert throttle.locked_out("eve")
    clock.now += 2
    assert not throttle.locked_out("eve")


def test_success_resets() -> None:
    throttle = LoginThrottle(max_failures=2, window_seconds=60)
    throttle.record("eve", failed=True)
    throttle.record("eve", failed=False)
    throttle.record("eve", failed=True)
    assert not throttle.locked_out("eve")


def test_zero_window_locks_forever() -> None:
    clock = Clock()
    throttle = LoginThrottle(max_failures=1, window_seconds=0, clock=clock)
    throttle.record("eve", failed=True)
    clock.now += 10**6
    assert throttle.locked_out("eve")


def test_cache_full_never_evicts_admin() -> None:
    throttle = LoginThrottle(max_failures=2, window_seconds=60, max_cache_size=3)
    throttle.record("admin", failed=True)
    throttle.record("admin", failed=True)
    for i in range(50):
        throttle.record(f"flood-{i}", failed=True)
    assert throttle.locked_out("admin")


def test_environment_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT", "7")
    monkeypatch.setenv("ARGOCD_SESSION_FAILURE_WINDOW_SECONDS", "30")
    throttle = LoginThrottle()
    assert (throttle.max_failures, throttle.window_seconds) == (7, 30)
    monkeypatch.setenv("ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT", "nonsense")
    assert LoginThrottle().max_failures == 5
