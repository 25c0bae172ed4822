"""Deletion safety: a sudden drop in generated apps waits for confirmation; small changes do not."""

from __future__ import annotations

from argosy.appset.plan import needs_confirmation, plan
from argosy.appset.status import fresh_conditions, pending_deletions


def _app(name: str) -> dict[str, object]:
    return {"metadata": {"name": name, "namespace": "argocd"}, "spec": {"project": "default"}}


def test_a_mass_deletion_needs_confirmation_but_removing_one_cluster_does_not() -> None:
    assert needs_confirmation(deleting=8, owned=10, min_count=5, max_share=0.5)
    assert not needs_confirmation(deleting=1, owned=1, min_count=5, max_share=0.5)  # the tutorial's unlabel
    assert not needs_confirmation(deleting=5, owned=20, min_count=5, max_share=0.5)


def test_the_held_count_is_read_back_from_the_condition() -> None:
    conds = fresh_conditions([], [], "8 of 10 Applications would be deleted (a, b); nothing was deleted.")
    assert pending_deletions({"conditions": conds}) == 8
    assert pending_deletions({"conditions": fresh_conditions([], [])}) == 0


def test_delete_is_planned_only_when_allowed() -> None:
    appset = {"metadata": {"name": "s", "namespace": "argocd", "uid": "u"}, "spec": {}}
    owned = [_app("a"), _app("b")]
    assert [a["metadata"]["name"] for a in plan(appset, [_app("a")], owned).delete] == ["b"]
    assert plan(appset, [_app("a")], owned, delete=False).delete == []
