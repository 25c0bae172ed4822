"""The app's sync and health transitions become Argo CD's ``ResourceUpdated`` messages."""

from __future__ import annotations

from argosy.controller.status import status_transitions


def test_each_changed_status_is_one_message_in_argo_cds_words() -> None:
    before = {"sync": {"status": "OutOfSync"}, "health": {"status": "Progressing"}}
    after = {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}
    assert status_transitions(before, after) == [
        "Updated sync status: OutOfSync -> Synced",
        "Updated health status: Progressing -> Healthy",
    ]


def test_a_first_status_has_an_empty_left_side_and_no_change_says_nothing() -> None:
    assert status_transitions({}, {"sync": {"status": "Unknown"}}) == ["Updated sync status:  -> Unknown"]
    same = {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}
    assert status_transitions(same, dict(same)) == []
    assert status_transitions(same, {}) == []
