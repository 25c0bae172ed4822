"""Sync windows: when an AppProject lets its applications sync.

A project lists windows in ``spec.syncWindows``. Each window opens at every
firing of its ``schedule`` (a 5-field cron: minute hour day-of-month month
day-of-week, read in the window's ``timeZone``, UTC when empty) and stays open
for ``duration`` (Go syntax: ``1h30m``). A window applies to the applications
whose name, destination namespace or destination cluster (server URL or name)
matches one of its ``applications`` / ``namespaces`` / ``clusters`` globs; with
``andOperator: true`` every list that is set must match.

The rules are Argo CD's, so a project behaves the same under both:

* no matching window: syncs are allowed;
* an active ``deny`` window blocks every sync; it wins over any active allow;
* when ``allow`` windows match, syncs happen only while one of them is active;
* ``manualSync: true`` lets a *manual* sync through a window that would block
  it (with several active deny windows, all of them must say so);
* a window whose schedule, duration, kind or time zone cannot be read blocks
  syncs and reports why, rather than being silently ignored.

Everything here is pure: the caller passes the clock (``now``), so the same
answer comes out in a reconcile, in ``app get`` and in the offline
``argosy admin proj windows check``.

Daylight-saving changes follow the wall clock of the window's time zone: a
firing inside the hour skipped in spring happens when the clock jumps, and a
firing inside the hour repeated in autumn happens once, the first time.
"""

from __future__ import annotations

import dataclasses
import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

from argosy.engine import durations
from argosy.engine.glob import glob_match
from argosy.engine.project import Violation

__all__ = [
    "AppTarget",
    "SyncDecision",
    "SyncWindowError",
    "SyncWindows",
    "Window",
    "parse_go_duration",
    "parse_schedule",
]

WindowKind = Literal["allow", "deny"]


class SyncWindowError(ValueError):
    """A window cannot be evaluated; the message names the window, the field and the fix."""


# ---------------------------------------------------------------------------
# Schedule and duration parsing (the grammar Argo CD accepts, nothing more)
# ---------------------------------------------------------------------------

_FIELDS: tuple[tuple[str, int, int], ...] = (
    ("minute", 0, 59),
    ("hour", 0, 23),
    ("day of month", 1, 31),
    ("month", 1, 12),
    ("day of week", 0, 6),
)
_NAMES: dict[int, dict[str, int]] = {
    3: {
        m: i + 1
        for i, m in enumerate(
            ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        )
    },
    4: {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
}


def _ascii_digits(text: str) -> bool:
    """0-9 only: ``str.isdigit`` also takes '²', which ``int`` then refuses (found by fuzzing)."""
    return text.isascii() and text.isdigit()


def _field_value(text: str, index: int) -> int:
    name, low, high = _FIELDS[index]
    named = _NAMES.get(index, {}).get(text.lower())
    if named is not None:
        return named
    if not _ascii_digits(text):
        raise SyncWindowError(f"{name} value '{text}' is not a number")
    value = int(text)
    if not low <= value <= high:
        hint = " (Sunday is 0; 7 is not accepted)" if index == 4 and value == 7 else ""
        raise SyncWindowError(f"{name} value {value} is outside {low}-{high}{hint}")
    return value


def _canonical_item(item: str, index: int) -> tuple[str, bool]:
    """One comma-separated item as croniter reads it, and whether it means 'every value'."""
    name, low, high = _FIELDS[index]
    body, _, step_text = item.partition("/")
    step = 1
    if "/" in item:
        if not _ascii_digits(step_text) or int(step_text) == 0:
            raise SyncWindowError(f"{name} step '{step_text}' must be a positive number")
        step = int(step_text)
    if body in ("*", "?"):
        start, end = low, high
    elif "-" in body:
        first, _, last = body.partition("-")
        start, end = _field_value(first, index), _field_value(last, index)
        if start > end:
            raise SyncWindowError(f"{name} range '{body}' starts after it ends")
    else:
        start = _field_value(body, index)
        end = high if "/" in item else start
    every = body in ("*", "?") and step == 1
    # croniter misreads one-value ranges ('10-10') and 'N/step', so spell every item out plainly.
    if every:
        text = "*"
    elif start == end:
        text = str(start)
    else:
        text = f"{start}-{end}/{step}" if step > 1 else f"{start}-{end}"
    return text, every


def parse_schedule(schedule: str) -> str:
    """Validate a 5-field cron and return it in the plain numeric form croniter reads.

    Argo CD's parser (robfig/cron, 5 fields) is stricter than most cron
    libraries: no seconds field, no ``@daily`` descriptors, day-of-week 0-6 only.
    We reject what it rejects so a project never means two different things.
    """
    fields = schedule.split()
    if schedule.strip().startswith("@"):
        raise SyncWindowError("descriptors such as '@daily' are not accepted; write the 5 cron fields")
    if fields and "=" in fields[0]:
        raise SyncWindowError("a time zone inside the schedule is not accepted; use the timeZone field")
    if len(fields) != 5:
        raise SyncWindowError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), found {len(fields)}"
        )
    out: list[str] = []
    for index, text in enumerate(fields):
        items = [_canonical_item(item, index) for item in text.split(",")]
        out.append("*" if any(every for _, every in items) else ",".join(t for t, _ in items))
    return " ".join(out)


def parse_go_duration(text: str) -> timedelta:
    """Parse a window's Go duration (``90m``, ``1h30m``, ``2.5h``) as ``time.ParseDuration`` does.

    Argo CD stores durations in Go syntax, so ``1d`` or ``90`` are errors there
    and here; a window must also last longer than zero to ever be open.
    """
    if not text.strip():
        raise SyncWindowError("cannot parse duration '': set a duration such as 1h or 90m")
    try:
        length = durations.parse_go_duration(text)
    except durations.DurationError:
        raise SyncWindowError(
            f"cannot parse duration '{text}': use Go syntax such as 1h, 90m or 1h30m"
        ) from None
    if length <= timedelta(0):
        raise SyncWindowError(f"duration '{text}' must be longer than zero")
    return length


def _load_zone(name: str) -> tzinfo:
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SyncWindowError(
            f"timeZone '{name}' is not an IANA time zone; "
            "use a name such as Europe/Paris, or leave it empty for UTC"
        ) from exc


# ---------------------------------------------------------------------------
# Wall-clock firings -> instants (DST aware)
# ---------------------------------------------------------------------------


def _wall_to_instant(wall: datetime, zone: tzinfo) -> datetime:
    """The UTC instant of a naive wall-clock time; gap times map to the jump, repeated ones to the first."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # The wall time does not exist (spring forward): find when the clock jumped.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first
    if low > high:
        low, high = high, low
    before = low.astimezone(zone).utcoffset()
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).utcoffset() == before:
            low = mid
        else:
            high = mid
    return high.replace(microsecond=0)


# ---------------------------------------------------------------------------
# One window
# ---------------------------------------------------------------------------


def _str_list(value: Any) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value if v is not None)
    return ()


@dataclass(frozen=True)
class AppTarget:
    """What a window matches an application on: its name and destination."""

    name: str
    namespace: str = ""
    server: str = ""
    cluster: str = ""

    @classmethod
    def from_application(cls, app: Mapping[str, Any]) -> AppTarget:
        """Build from an Application object (Kubernetes JSON)."""
        meta = app.get("metadata") or {}
        dest = (app.get("spec") or {}).get("destination") or {}
        return cls(
            name=str(meta.get("name") or ""),
            namespace=str(dest.get("namespace") or ""),
            server=str(dest.get("server") or ""),
            cluster=str(dest.get("name") or ""),
        )


@dataclass(frozen=True)
class Window:
    """One ``spec.syncWindows`` entry; invalid entries are kept and explain themselves."""

    index: int
    kind: str
    schedule: str
    duration_text: str
    time_zone: str = ""
    applications: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    clusters: tuple[str, ...] = ()
    manual_sync: bool = False
    and_operator: bool = False
    description: str = ""
    problem: str | None = None
    _cron: str = field(default="", repr=False, compare=False)
    _duration: timedelta = field(default=timedelta(0), repr=False, compare=False)
    _zone: tzinfo = field(default=UTC, repr=False, compare=False)

    @classmethod
    def from_dict(cls, raw: Any, index: int) -> Window:
        """Read a window; a bad field becomes ``problem`` instead of an exception."""
        data: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        base = cls(
            index=index,
            kind=str(data.get("kind") or ""),
            schedule=str(data.get("schedule") or ""),
            duration_text=str(data.get("duration") or ""),
            time_zone=str(data.get("timeZone") or ""),
            applications=_str_list(data.get("applications")),
            namespaces=_str_list(data.get("namespaces")),
            clusters=_str_list(data.get("clusters")),
            manual_sync=data.get("manualSync") is True,
            and_operator=data.get("andOperator") is True,
            description=str(data.get("description") or ""),
        )
        where = f"spec.syncWindows[{index}]"
        if not isinstance(raw, Mapping):
            return base._with_problem(f"{where} is not an object with kind, schedule and duration")
        if base.kind not in ("allow", "deny"):
            return base._with_problem(f"{where}.kind '{base.kind}' must be 'allow' or 'deny'")
        try:
            cron = parse_schedule(base.schedule)
        except SyncWindowError as exc:
            return base._with_problem(f"{where}.schedule: cannot parse schedule '{base.schedule}': {exc}")
        try:
            duration = parse_go_duration(base.duration_text)
        except SyncWindowError as exc:
            return base._with_problem(f"{where}.duration: {exc}")
        try:
            zone = _load_zone(base.time_zone)
        except SyncWindowError as exc:
            return base._with_problem(f"{where}.timeZone: {exc}")
        return _replace(base, _cron=cron, _duration=duration, _zone=zone)

    def _with_problem(self, problem: str) -> Window:
        return _replace(self, problem=problem)

    @property
    def label(self) -> str:
        """How messages name the window: its position (the id of ``proj windows list``) and schedule."""
        zone = self.time_zone or "UTC"
        return f"{self.kind or '?'} window #{self.index} ('{self.schedule}' for {self.duration_text}, {zone})"

    @property
    def duration(self) -> timedelta:
        return self._duration

    def _require_valid(self) -> None:
        if self.problem is not None:
            raise SyncWindowError(self.problem)

    def firings(self, after: datetime) -> Iterator[datetime]:
        """Instants (UTC) when the window opens, strictly after ``after``, in order."""
        self._require_valid()
        start = _aware(after)
        wall = start.astimezone(self._zone).replace(tzinfo=None)
        it = croniter(self._cron, wall)
        while True:
            try:
                nxt = it.get_next(datetime)
            except CroniterBadDateError:  # e.g. '0 0 30 2 *': the schedule never fires
                return
            instant = _wall_to_instant(nxt, self._zone)
            if instant > start:
                yield instant

    def active(self, now: datetime) -> bool:
        """Open at ``now``: the first firing after ``now - duration`` comes before ``now``."""
        now = _aware(now)
        first = next(self.firings(now - self._duration), None)
        return first is not None and first < now

    def matches(self, app: AppTarget) -> bool:
        """Whether the window applies to the application (globs, OR by default, AND on request)."""
        checks: list[bool] = []
        if self.applications:
            checks.append(any(glob_match(p, app.name) for p in self.applications))
        if self.clusters:
            checks.append(
                any(
                    (bool(app.cluster) and glob_match(p, app.cluster))
                    or (bool(app.server) and glob_match(p, app.server))
                    for p in self.clusters
                )
            )
        if self.namespaces:
            checks.append(any(glob_match(p, app.namespace) for p in self.namespaces))
        if not checks:
            return False
        return all(checks) if self.and_operator else any(checks)

    def to_dict(self) -> dict[str, Any]:
        """Back to the ``spec.syncWindows`` shape (for listings and JSON output)."""
        out: dict[str, Any] = {"kind": self.kind, "schedule": self.schedule, "duration": self.duration_text}
        for key, value in (
            ("timeZone", self.time_zone),
            ("applications", list(self.applications)),
            ("namespaces", list(self.namespaces)),
            ("clusters", list(self.clusters)),
            ("manualSync", self.manual_sync),
            ("andOperator", self.and_operator),
            ("description", self.description),
        ):
            if value:
                out[key] = value
        return out


def _replace(window: Window, **changes: Any) -> Window:
    return dataclasses.replace(window, **changes)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("sync windows need a timezone-aware time (for example 2026-11-25T09:30:00+01:00)")
    return moment.astimezone(UTC)


# ---------------------------------------------------------------------------
# A set of windows and the sync decision
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncDecision:
    """Whether a sync may start now, and which windows decided it (for messages and ``app get``)."""

    allowed: bool
    manual: bool
    reason: str
    deciding: tuple[Window, ...] = ()
    error: str | None = None

    @property
    def deciding_labels(self) -> list[str]:
        return [w.label for w in self.deciding]


class SyncWindows:
    """The windows of a project (or the subset matching one application)."""

    def __init__(self, windows: Sequence[Window]) -> None:
        self.windows: tuple[Window, ...] = tuple(windows)

    @classmethod
    def from_spec(cls, sync_windows: Any) -> SyncWindows:
        """Read ``spec.syncWindows`` (a list; anything else counts as no windows)."""
        items = sync_windows if isinstance(sync_windows, list) else []
        return cls([Window.from_dict(raw, i) for i, raw in enumerate(items)])

    @classmethod
    def from_project(cls, project: Mapping[str, Any]) -> SyncWindows:
        return cls.from_spec((project.get("spec") or {}).get("syncWindows"))

    def __iter__(self) -> Iterator[Window]:
        return iter(self.windows)

    def __len__(self) -> int:
        return len(self.windows)

    @property
    def problems(self) -> list[str]:
        """Why windows cannot be evaluated (for an ``InvalidSpecError`` on the project)."""
        return [w.problem for w in self.windows if w.problem is not None]

    def violations(self) -> list[Violation]:
        """Invalid windows as project rule violations (refused at create/update, a condition at reconcile)."""
        out = [Violation("syncWindows", p) for p in self.problems]
        seen: set[tuple[str, str, str]] = set()
        for w in self.windows:
            if w.problem is None and not (w.applications or w.namespaces or w.clusters):
                out.append(
                    Violation(
                        "syncWindows",
                        f"spec.syncWindows[{w.index}] applies to nothing: set applications, namespaces "
                        "or clusters (use '*' for all)",
                    )
                )
            key = (w.kind, w.schedule, w.duration_text)
            if key in seen:
                out.append(
                    Violation("syncWindows", f"spec.syncWindows[{w.index}] repeats another {w.kind} window")
                )
            seen.add(key)
        return out

    def matches(self, app: AppTarget | Mapping[str, Any]) -> SyncWindows:
        """The windows that apply to an application (a target or an Application object)."""
        target = app if isinstance(app, AppTarget) else AppTarget.from_application(app)
        return SyncWindows([w for w in self.windows if w.matches(target)])

    def _check(self, kinds: tuple[str, ...] = ()) -> None:
        problems = [w.problem for w in self.windows if w.problem and (not kinds or w.kind in kinds)]
        if problems:
            raise SyncWindowError("invalid sync windows: " + "; ".join(problems))

    def active(self, now: datetime) -> SyncWindows:
        """The windows open at ``now``; raises ``SyncWindowError`` if any window is invalid."""
        self._check()
        return SyncWindows([w for w in self.windows if w.active(now)])

    def inactive_allows(self, now: datetime) -> SyncWindows:
        """The allow windows closed at ``now``; raises ``SyncWindowError`` if an allow window is invalid."""
        self._check(("allow",))
        return SyncWindows([w for w in self.windows if w.kind == "allow" and not w.active(now)])

    def decide(self, now: datetime, *, manual: bool) -> SyncDecision:
        """Argo CD's CanSync, explained: never raises, an invalid window denies with ``error`` set."""
        what = "manual sync" if manual else "automated sync"
        if not self.windows:
            return SyncDecision(True, manual, f"{what} allowed: no sync window applies")
        try:
            active = self.active(now)
            inactive_allows = self.inactive_allows(now)
        except SyncWindowError as exc:
            bad = tuple(w for w in self.windows if w.problem is not None)
            return SyncDecision(False, manual, f"{what} blocked: {exc}", bad, error=str(exc))
        denies = [w for w in active if w.kind == "deny"]
        if denies:
            if manual and all(w.manual_sync for w in denies):
                names = ", ".join(w.label for w in denies)
                return SyncDecision(
                    True, manual, f"manual sync allowed by manualSync on {names}", tuple(denies)
                )
            blocking = [w for w in denies if not (manual and w.manual_sync)]
            names = ", ".join(w.label for w in blocking)
            hint = "" if manual else " (automated syncs wait until it closes)"
            return SyncDecision(False, manual, f"{what} blocked by active {names}{hint}", tuple(blocking))
        allows = [w for w in active if w.kind == "allow"]
        if allows:
            return SyncDecision(True, manual, f"{what} allowed by active {allows[0].label}", tuple(allows))
        if len(inactive_allows):
            closed = list(inactive_allows)
            if manual and all(w.manual_sync for w in closed):
                return SyncDecision(
                    True,
                    manual,
                    "manual sync allowed by manualSync on every closed allow window",
                    tuple(closed),
                )
            names = ", ".join(w.label for w in closed)
            return SyncDecision(
                False, manual, f"{what} blocked: no allow window is open ({names})", tuple(closed)
            )
        return SyncDecision(True, manual, f"{what} allowed: no active window blocks it")

    def can_sync(self, now: datetime, *, manual: bool) -> bool:
        """Shortcut for ``decide(now, manual=...).allowed``."""
        return self.decide(now, manual=manual).allowed

    def next_allowed(
        self, now: datetime, *, manual: bool = False, horizon: timedelta = timedelta(days=8)
    ) -> datetime | None:
        """When a sync is next allowed (``now`` if it is now), or None within ``horizon`` / if invalid.

        Windows only change state when one opens (a firing) or closes (a firing
        plus its duration), so we walk those instants in order instead of
        sampling the clock.
        """
        now = _aware(now)
        if self.problems:
            return None
        if self.can_sync(now, manual=manual):
            return now
        end = now + horizon
        open_count = [0] * len(self.windows)
        events: list[Iterator[tuple[datetime, int, int]]] = []
        for i, window in enumerate(self.windows):
            for firing in window.firings(now - window.duration):
                if firing > end:
                    break
                if firing <= now:
                    open_count[i] += 1
                    events.append(iter([(firing + window.duration, -1, i)]))
                else:
                    events.append(_window_events(window, i, firing, end))
                    break
        if self._allowed_with(open_count, manual):  # a window opens exactly now
            return now
        stream = heapq.merge(*events)
        pending = next(stream, None)
        while pending is not None and pending[0] <= end:
            instant = pending[0]
            while pending is not None and pending[0] == instant:
                open_count[pending[2]] += pending[1]
                pending = next(stream, None)
            if self._allowed_with(open_count, manual):
                return instant
        return None

    def _allowed_with(self, open_count: Sequence[int], manual: bool) -> bool:
        active = [w for w, n in zip(self.windows, open_count, strict=True) if n > 0]
        denies = [w for w in active if w.kind == "deny"]
        if denies:
            return manual and all(w.manual_sync for w in denies)
        if any(w.kind == "allow" for w in active):
            return True
        closed = [w for w, n in zip(self.windows, open_count, strict=True) if n <= 0 and w.kind == "allow"]
        return not closed or (manual and all(w.manual_sync for w in closed))


def _window_events(
    window: Window, i: int, first: datetime, end: datetime
) -> Iterator[tuple[datetime, int, int]]:
    """Open/close events of one window from ``first`` on, in time order, up to ``end``."""
    closes: list[datetime] = []
    firing: datetime | None = first
    firings = window.firings(first)
    while firing is not None and firing <= end:
        while closes and closes[0] <= firing:
            yield (heapq.heappop(closes), -1, i)
        yield (firing, +1, i)
        heapq.heappush(closes, firing + window.duration)
        firing = next(firings, None)
    while closes:
        yield (heapq.heappop(closes), -1, i)
