"""A reconcile caused only by live changes reuses the app's last render, for at most one period."""

from __future__ import annotations

from argosy.appstate.recent import RecentRenders
from argosy.repo import RenderResult


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def _app(path: str = "app") -> dict[str, object]:
    return {"metadata": {"name": "a"}, "spec": {"source": {"repoURL": "r", "path": path}}}


def test_reused_while_the_spec_is_unchanged_and_younger_than_the_period() -> None:
    clock = Clock()
    recent = RecentRenders(clock)
    result = RenderResult()
    recent.put("argocd/a", _app(), result)
    clock.now = 179.0
    assert recent.get("argocd/a", _app(), within=180.0) is result
    assert recent.reused == 1
    clock.now = 180.0
    assert recent.get("argocd/a", _app(), within=180.0) is None, "the periodic refresh renders anew"


def test_a_changed_spec_or_no_reuse_window_renders_anew() -> None:
    recent = RecentRenders(Clock())
    recent.put("argocd/a", _app(), RenderResult())
    assert recent.get("argocd/a", _app("other"), within=180.0) is None
    assert recent.get("argocd/a", _app(), within=0.0) is None
    recent.forget("argocd/a")
    assert recent.get("argocd/a", _app(), within=180.0) is None and len(recent) == 0
