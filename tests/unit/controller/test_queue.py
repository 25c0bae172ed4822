"""WorkQueue: de-duplication, no concurrent processing of one key, delays and backoff."""

from __future__ import annotations

from argosy.controller.queue import WorkQueue


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_duplicate_adds_collapse() -> None:
    q = WorkQueue()
    for _ in range(5):
        q.add("argocd/a")
    q.add("argocd/b")
    assert len(q) == 2
    assert q.get(0) == "argocd/a" and q.get(0) == "argocd/b" and q.get(0) is None


def test_key_in_progress_is_requeued_once_after_done() -> None:
    q = WorkQueue()
    q.add("a")
    assert q.get(0) == "a"
    q.add("a")
    q.add("a")
    assert q.get(0) is None, "a key being processed must not be handed out twice"
    q.done("a")
    assert q.get(0) == "a"
    q.done("a")
    assert q.get(0) is None


def test_delayed_add_waits_for_the_clock() -> None:
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    q.add_after("a", 10)
    assert q.get(0) is None
    clock.now = 10.0
    assert q.get(0) == "a"


def test_rate_limited_backoff_grows_and_resets() -> None:
    q = WorkQueue(base_delay=1, max_delay=5)
    assert [q.add_rate_limited("a") for _ in range(5)] == [1, 2, 4, 5, 5]
    q.forget("a")
    assert q.add_rate_limited("a") == 1


def test_shutdown_releases_waiting_getters() -> None:
    q = WorkQueue()
    q.shutdown()
    assert q.get() is None


def test_a_key_keeps_one_delayed_entry_and_the_earliest_due_time_wins() -> None:
    """Re-arming a periodic refresh after every reconcile must not multiply timers."""
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    for _ in range(50):
        q.add_after("argocd/a", 180.0)
    q.add_after("argocd/a", 5.0)
    q.add_after("argocd/a", 60.0)
    assert q.delayed() == 1
    clock.now = 4.0
    assert q.get(0) is None
    clock.now = 5.0
    assert q.get(0) == "argocd/a"
    q.done("argocd/a")
    clock.now = 500.0
    assert q.get(0) is None, "the superseded 180 s and 60 s timers fired too"
    assert q.delayed() == 0


def test_a_delayed_key_can_be_armed_again_after_it_fired() -> None:
    clock = FakeClock()
    q = WorkQueue(clock=clock)
    q.add_after("a", 1.0)
    clock.now = 1.0
    assert q.get(0) == "a"
    q.add_after("a", 1.0)  # re-armed while processing
    q.done("a")
    assert q.get(0) is None
    clock.now = 2.0
    assert q.get(0) == "a"
