"""Sync-window behaviour users rely on beyond Argo CD's own cases: the seed's
Paris window, manualSync through deny windows, DST edges, errors and the next
opening shown by ``app get``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import pytest

from argosy.engine.syncwindows import (
    AppTarget,
    SyncWindowError,
    SyncWindows,
    Window,
    parse_go_duration,
    parse_schedule,
)

PARIS_ALLOW: dict[str, Any] = {
    "kind": "allow",
    "schedule": "0 6 * * *",
    "duration": "6h",
    "timeZone": "Europe/Paris",
    "applications": ["*"],
}
DENY_ALWAYS: dict[str, Any] = {
    "kind": "deny",
    "schedule": "* * * * *",
    "duration": "1h",
    "applications": ["*"],
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def windows(*raw: dict[str, Any]) -> SyncWindows:
    return SyncWindows.from_spec(list(raw))


class TestSeedParisWindow:
    """The seed project: syncs only between 06:00 and 12:00 Paris time."""

    @pytest.mark.parametrize(
        ("now", "allowed"),
        [
            ("2026-11-25T09:30:00+01:00", True),  # inside, winter time
            ("2026-11-25T08:30:00Z", True),  # same instant spelled in UTC
            ("2026-11-25T17:30:00+09:00", True),  # and in Tokyo: the window's zone decides
            ("2026-11-25T05:59:00+01:00", False),  # before the opening
            ("2026-11-25T06:00:00+01:00", False),  # opening instant itself: opens just after
            ("2026-11-25T06:00:01+01:00", True),
            ("2026-11-25T11:59:59+01:00", True),
            ("2026-11-25T12:00:00+01:00", False),  # closes after exactly 6h
            ("2026-07-01T06:30:00+02:00", True),  # summer time: still 06:00 on Paris clocks
            ("2026-07-01T05:30:00+01:00", True),  # = 06:30 CEST
            ("2026-07-01T05:30:00+02:00", False),
        ],
    )
    def test_allow_window_blocks_outside_and_allows_inside(self, now: str, allowed: bool) -> None:
        ws = windows(PARIS_ALLOW)
        assert ws.can_sync(at(now), manual=False) is allowed
        assert ws.can_sync(at(now), manual=True) is allowed  # no manualSync: manual syncs wait too

    def test_decision_names_the_window(self) -> None:
        blocked = windows(PARIS_ALLOW).decide(at("2026-11-25T13:00:00+01:00"), manual=True)
        assert not blocked.allowed
        assert blocked.deciding_labels == ["allow window #0 ('0 6 * * *' for 6h, Europe/Paris)"]
        assert "no allow window is open" in blocked.reason
        allowed = windows(PARIS_ALLOW).decide(at("2026-11-25T09:30:00+01:00"), manual=False)
        assert allowed.allowed and allowed.deciding[0].index == 0 and "allowed by active" in allowed.reason

    def test_an_always_active_deny_wins_even_inside_the_allow_window(self) -> None:
        """Argo CD's rule: deny overrides allow. Adding deny '* * * * *' blocks every automated sync."""
        ws = windows(PARIS_ALLOW, DENY_ALWAYS)
        for now in ("2026-11-25T09:30:00+01:00", "2026-11-25T20:00:00+01:00"):
            decision = ws.decide(at(now), manual=False)
            assert not decision.allowed
            assert [w.index for w in decision.deciding] == [1]
            assert "deny window #1" in decision.reason

    def test_manual_sync_through_the_deny_window(self) -> None:
        ws = windows(PARIS_ALLOW, {**DENY_ALWAYS, "manualSync": True})
        now = at("2026-11-25T20:00:00+01:00")
        manual = ws.decide(now, manual=True)
        assert manual.allowed and "manualSync" in manual.reason
        assert [w.index for w in manual.deciding] == [1]
        assert not ws.can_sync(now, manual=False)  # automated syncs still wait

    def test_next_opening_for_app_get(self) -> None:
        ws = windows(PARIS_ALLOW)
        assert ws.next_allowed(at("2026-11-25T13:00:00+01:00")) == at("2026-11-26T06:00:00+01:00")
        assert ws.next_allowed(at("2026-11-25T04:00:00+01:00")) == at("2026-11-25T06:00:00+01:00")
        inside = at("2026-11-25T09:30:00+01:00")
        assert ws.next_allowed(inside) == inside
        # Across the spring change the window opens at 06:00 on the new (summer) clock.
        assert ws.next_allowed(at("2026-03-28T13:00:00+01:00")) == at("2026-03-29T06:00:00+02:00")

    def test_next_opening_never_within_horizon_behind_a_permanent_deny(self) -> None:
        ws = windows(PARIS_ALLOW, DENY_ALWAYS)
        now = at("2026-11-25T13:00:00+01:00")
        assert ws.next_allowed(now, horizon=timedelta(days=2)) is None


class TestManualSync:
    def test_every_active_deny_must_allow_manual_sync(self) -> None:
        ws = windows({**DENY_ALWAYS, "manualSync": True}, {**DENY_ALWAYS, "schedule": "*/5 * * * *"})
        now = at("2026-01-01T12:00:00Z")
        decision = ws.decide(now, manual=True)
        assert not decision.allowed
        assert [w.index for w in decision.deciding] == [1]  # the one without manualSync is named
        fixed = windows({**DENY_ALWAYS, "manualSync": True}, {**DENY_ALWAYS, "manualSync": True})
        assert fixed.can_sync(now, manual=True) and not fixed.can_sync(now, manual=False)

    def test_closed_allow_windows_with_manual_sync_let_manual_syncs_through(self) -> None:
        ws = windows({**PARIS_ALLOW, "manualSync": True})
        now = at("2026-11-25T20:00:00+01:00")
        assert ws.can_sync(now, manual=True) and not ws.can_sync(now, manual=False)

    def test_deny_wins_over_active_allow_even_for_manual_without_flag(self) -> None:
        ws = windows({**DENY_ALWAYS, "kind": "allow", "manualSync": True}, DENY_ALWAYS)
        assert not ws.can_sync(at("2026-01-01T12:00:00Z"), manual=True)

    def test_inactive_deny_does_not_block(self) -> None:
        ws = windows({"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "applications": ["*"]})
        assert ws.can_sync(at("2026-01-01T12:00:00Z"), manual=False)
        assert not ws.can_sync(at("2026-01-01T22:30:00Z"), manual=False)


class TestDaylightSaving:
    """Paris: 2026-03-29 02:00 CET jumps to 03:00 CEST; 2026-10-25 03:00 CEST falls back to 02:00 CET."""

    NIGHT: ClassVar[dict[str, Any]] = {
        "kind": "deny",
        "schedule": "30 2 * * *",
        "duration": "1h",
        "timeZone": "Europe/Paris",
        "applications": ["*"],
    }

    def test_firing_in_the_skipped_hour_happens_when_the_clock_jumps(self) -> None:
        w = Window.from_dict(self.NIGHT, 0)
        first = next(w.firings(at("2026-03-29T00:00:00+01:00")))
        assert first == at("2026-03-29T03:00:00+02:00") == at("2026-03-29T01:00:00Z")
        assert w.active(at("2026-03-29T03:30:00+02:00"))
        assert not w.active(at("2026-03-29T04:00:00+02:00"))  # open for exactly 1h after the jump
        assert not w.active(at("2026-03-29T02:59:59+02:00") + timedelta(hours=-1))  # 00:59:59Z

    def test_day_before_and_after_spring_change_use_the_wall_clock(self) -> None:
        w = Window.from_dict(self.NIGHT, 0)
        assert w.active(at("2026-03-28T02:45:00+01:00"))
        assert w.active(at("2026-03-30T02:45:00+02:00"))
        assert not w.active(at("2026-03-30T02:45:00+01:00"))  # 03:45 CEST: closed

    def test_firing_in_the_repeated_hour_happens_once(self) -> None:
        w = Window.from_dict(self.NIGHT, 0)
        firings = w.firings(at("2026-10-24T12:00:00Z"))
        assert next(firings) == at("2026-10-25T02:30:00+02:00")  # first pass (CEST)
        assert next(firings) == at("2026-10-26T02:30:00+01:00")  # not again at 02:30 CET
        assert w.active(at("2026-10-25T02:15:00+01:00"))  # 01:15Z, 45 min after opening
        assert not w.active(at("2026-10-25T02:45:00+01:00"))  # second 02:45: already closed

    def test_duration_is_elapsed_time_across_the_change(self) -> None:
        w = Window.from_dict({**self.NIGHT, "schedule": "0 1 * * *", "duration": "3h"}, 0)
        # Opens 01:00 CET (00:00Z), clock jumps at 01:00Z; 3h later is 03:00Z = 05:00 CEST.
        assert w.active(at("2026-03-29T04:59:00+02:00"))
        assert not w.active(at("2026-03-29T05:00:00+02:00"))


class TestMatching:
    APP = AppTarget(name="guestbook", namespace="web", server="https://10.0.0.2:6443", cluster="edge")

    @pytest.mark.parametrize(
        ("window", "matches"),
        [
            ({"applications": ["guest*"]}, True),
            ({"applications": ["other"], "namespaces": ["web"]}, True),
            ({"applications": ["other"], "namespaces": ["web"], "andOperator": True}, False),
            ({"clusters": ["edge"]}, True),
            ({"clusters": ["https://10.0.0.*"]}, True),
            ({"clusters": ["core"]}, False),
            ({"applications": ["guestbook"], "clusters": ["ed*"], "andOperator": True}, True),
            ({}, False),
        ],
    )
    def test_globs_or_and(self, window: dict[str, Any], matches: bool) -> None:
        raw = {"kind": "deny", "schedule": "* * * * *", "duration": "1h", **window}
        assert Window.from_dict(raw, 0).matches(self.APP) is matches

    def test_matches_an_application_object(self) -> None:
        app = {
            "metadata": {"name": "guestbook"},
            "spec": {"destination": {"name": "edge", "namespace": "web"}},
        }
        ws = windows({**DENY_ALWAYS, "applications": ["nope"]}, {**DENY_ALWAYS, "clusters": ["edge"]})
        assert [w.index for w in ws.matches(app)] == [1]


class TestInvalidWindows:
    @pytest.mark.parametrize(
        ("change", "field"),
        [
            ({"timeZone": "Europe/Pariss"}, "timeZone"),
            ({"kind": "Deny"}, "kind"),
            ({"duration": "1d"}, "duration"),
            ({"duration": "-1h"}, "duration"),
            ({"schedule": "0 6 * * 7"}, "schedule"),
            ({"schedule": "@daily"}, "schedule"),
        ],
    )
    def test_invalid_window_denies_and_names_the_field(self, change: dict[str, Any], field: str) -> None:
        ws = windows(PARIS_ALLOW, {**PARIS_ALLOW, "schedule": "0 18 * * *", **change})
        decision = ws.decide(at("2026-11-25T09:30:00+01:00"), manual=True)
        assert not decision.allowed
        assert decision.error is not None
        assert f"spec.syncWindows[1].{field}" in decision.error
        assert [w.index for w in decision.deciding] == [1]
        with pytest.raises(SyncWindowError, match="invalid sync windows"):
            ws.active(at("2026-11-25T09:30:00+01:00"))
        assert ws.next_allowed(at("2026-11-25T09:30:00+01:00")) is None
        assert [v.rule for v in ws.violations()] == ["syncWindows"]

    def test_inactive_allows_only_reads_allow_windows(self) -> None:
        """As in Argo CD: a broken deny window does not make the closed-allow question fail..."""
        ws = windows(PARIS_ALLOW, {**DENY_ALWAYS, "duration": "3a"})
        now = at("2026-11-25T20:00:00+01:00")
        assert [w.index for w in ws.inactive_allows(now)] == [0]
        with pytest.raises(SyncWindowError, match=r"spec.syncWindows\[1\].duration"):
            ws.active(now)
        assert not ws.can_sync(at("2026-11-25T09:30:00+01:00"), manual=True)  # ...but still blocks syncs

    def test_not_an_object(self) -> None:
        ws = SyncWindows.from_spec(["deny always"])
        assert ws.problems == ["spec.syncWindows[0] is not an object with kind, schedule and duration"]

    def test_window_that_applies_to_nothing_is_reported(self) -> None:
        ws = windows({"kind": "deny", "schedule": "* * * * *", "duration": "1h"})
        assert "applies to nothing" in ws.violations()[0].message

    def test_naive_time_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            windows(PARIS_ALLOW).can_sync(datetime(2026, 11, 25, 9, 30), manual=False)

    def test_schedule_that_never_fires_is_never_active(self) -> None:
        ws = windows({**DENY_ALWAYS, "schedule": "0 0 30 2 *"})
        assert ws.can_sync(datetime(2026, 2, 28, tzinfo=UTC), manual=False)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h30m", 5400), ("90m", 5400), ("1.5h", 5400), ("300ms", 0.3), ("2h45m30s", 9930), ("+1h", 3600)],
)
def test_go_durations(text: str, seconds: float) -> None:
    assert parse_go_duration(text).total_seconds() == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "3a", "1d", "90", "h", "1h 30m", "0", "-5m"])
def test_bad_go_durations(text: str) -> None:
    with pytest.raises(SyncWindowError):
        parse_go_duration(text)


@pytest.mark.parametrize("schedule", ["0 \u00b2 * * *", "*/\u00b2 * * * *", "0 \u0663 * * *"])
def test_a_digit_that_is_not_0_to_9_is_a_clear_error(schedule: str) -> None:
    # str.isdigit() takes '²' (int() refuses it) and '٣' (int() reads 3): both are schedule errors.
    with pytest.raises(SyncWindowError, match=r"not a number|step"):
        parse_schedule(schedule)
