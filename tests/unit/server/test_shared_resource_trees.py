"""The resource trees streams share: one computation per app while fresh, however many streams ask
at once; a change of the app's inputs or age computes afresh; unused entries are forgotten."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from argosy.server.treecache import SharedTrees


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_concurrent_streams_of_one_app_wait_for_one_computation() -> None:
    trees: SharedTrees[str] = SharedTrees(max_age=60)
    calls: list[int] = []
    started = threading.Event()

    def compute() -> str:
        calls.append(1)
        started.set()
        time.sleep(0.2)  # the other streams ask meanwhile
        return "tree"

    with ThreadPoolExecutor(8) as pool:
        first = pool.submit(trees.get, ("argocd", "shop"), "v1", compute)
        started.wait(5)
        others = [pool.submit(trees.get, ("argocd", "shop"), "v1", compute) for _ in range(7)]
        answers = [first.result(5)] + [f.result(5) for f in others]
    assert answers == ["tree"] * 8 and len(calls) == 1


def test_changed_inputs_or_an_old_tree_are_computed_afresh_per_app() -> None:
    clock = Clock()
    trees: SharedTrees[str] = SharedTrees(max_age=2.5, clock=clock)
    count = iter(range(100))

    def compute() -> str:
        return f"tree-{next(count)}"

    assert trees.get(("argocd", "shop"), "v1", compute) == "tree-0"
    clock.now += 2
    assert trees.get(("argocd", "shop"), "v1", compute) == "tree-0"  # fresh: shared
    assert trees.get(("argocd", "blog"), "v1", compute) == "tree-1"  # another app has its own
    assert trees.get(("argocd", "shop"), "v2", compute) == "tree-2"  # the app changed
    clock.now += 3
    assert trees.get(("argocd", "shop"), "v2", compute) == "tree-3"  # children re-read


def test_entries_nobody_asks_for_are_forgotten() -> None:
    clock = Clock()
    trees: SharedTrees[str] = SharedTrees(max_age=2.5, forget_after=60, clock=clock)
    trees.get(("argocd", "shop"), "v1", lambda: "tree")
    clock.now += 30
    trees.get(("argocd", "blog"), "v1", lambda: "tree")
    assert len(trees) == 2
    clock.now += 45  # shop unused for 75 s, blog for 45 s
    trees.get(("argocd", "blog"), "v1", lambda: "tree")
    assert len(trees) == 1
