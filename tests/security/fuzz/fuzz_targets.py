"""Fuzz targets: each takes fuzzer bytes, feeds a parser Argosy exposes to users, checks its contract.

A target fails (the fuzzer reports a crash) when a parser raises anything but
its documented error type, or returns something that breaks the invariant its
callers rely on. They run under atheris (coverage-guided, ``fuzz_main.py``) and,
because each is an ordinary function, can also be replayed on a corpus without
atheris (``test_fuzz_targets_replay.py``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import timedelta

from croniter import croniter

from argosy.engine import durations
from argosy.engine.glob import glob_match
from argosy.engine.syncwindows import SyncWindowError, parse_schedule
from argosy.repo.errors import ManifestParseError
from argosy.repo.manifests import is_k8s_object, parse
from argosy.server.rbac.matching import glob_value_match, regex_match
from argosy.server.rbac.policy import PolicyError, parse_policy_line, split_csv_line, validate_policy
from argosy.server.webhook import signature
from argosy.server.webhook.events import IgnoredEvent, PayloadError, PushEvent, detect_provider, parse_event

_PROVIDERS = (
    signature.GITHUB,
    signature.GITLAB,
    signature.GOGS,
    signature.GITEA,
    signature.BITBUCKET,
    signature.BITBUCKET_SERVER,
    signature.AZURE_DEVOPS,
)
_GLOB_META = set("*?[]{}\\!")


def _split(data: bytes, parts: int) -> list[str]:
    """``data`` as text cut into ``parts`` pieces at NUL bytes (missing pieces are empty)."""
    pieces = data.decode("utf-8", "replace").split("\x00", parts - 1)
    return pieces + [""] * (parts - len(pieces))


def manifests(data: bytes) -> None:
    """YAML/JSON manifest files: objects out, or ManifestParseError naming the file."""
    json_file = bool(data[:1]) and data[0] & 1 == 1
    text = data[1:].decode("utf-8", "replace")
    try:
        parsed = parse(text, "fuzz.yaml", json_file=json_file)
    except ManifestParseError as exc:
        assert "fuzz.yaml" in str(exc), f"error does not name the file: {exc}"
        return
    for doc in parsed.documents:
        assert is_k8s_object(doc.object), doc.object


def rbac_policy(data: bytes) -> None:
    """policy.csv lines: a rule, None, or PolicyError with the line; matching never raises."""
    policy, value, pattern = _split(data, 3)
    problems = validate_policy(policy)
    for problem in problems:
        assert problem.line >= 1
    for number, line in enumerate(policy.split("\n"), start=1):
        try:
            rule = parse_policy_line(line, "policy.csv", number)
        except PolicyError:
            continue
        if rule is not None:
            assert rule.ptype in ("p", "g")
            assert len(rule.fields) == (5 if rule.ptype == "p" else 2)
    with contextlib.suppress(ValueError):
        split_csv_line(policy)
    assert isinstance(glob_value_match(value, pattern), bool)
    assert isinstance(regex_match(value, pattern), bool)


def sync_window_schedule(data: bytes) -> None:
    """A window's cron: refused with SyncWindowError, or a form croniter reads."""
    (schedule,) = _split(data, 1)
    try:
        canonical = parse_schedule(schedule)
    except SyncWindowError:
        return
    assert croniter.is_valid(canonical), f"{schedule!r} accepted as {canonical!r}, which croniter refuses"


def go_durations(data: bytes) -> None:
    """Go durations: a timedelta or DurationError; a bare number reads as seconds."""
    (text,) = _split(data, 1)
    try:
        value = durations.parse_go_duration(text)
    except durations.DurationError:
        value = None
    if value is not None:
        assert isinstance(value, timedelta)
    try:
        seconds = durations.parse_seconds(text)
    except durations.DurationError:
        return
    if value is not None:
        assert abs(seconds - value.total_seconds()) <= 1e-6 * max(1.0, abs(seconds)), (text, seconds, value)


def globs(data: bytes) -> None:
    """Globs never raise; a pattern without metacharacters matches exactly itself."""
    pattern, value = _split(data, 2)
    for separators in ("", "/"):
        result = glob_match(pattern, value, separators=separators, allow_negation=True)
        assert isinstance(result, bool)
        if pattern and not (set(pattern) & _GLOB_META):
            assert result == (pattern == value), (pattern, value, separators)


def webhook_payload(data: bytes) -> None:
    """Webhook bodies: a push or an ignored event, or PayloadError; header sniffing never raises."""
    selector = data[0] if data else 0
    provider = _PROVIDERS[selector % len(_PROVIDERS)]
    event_names = ("push", "Push Hook", "repo:push", "repo:refs_changed", "ping", "")
    event = event_names[(selector >> 3) % len(event_names)]
    body = data[1:]
    try:
        result = parse_event(provider, event, body)
    except PayloadError:
        result = None
    if result is not None:
        assert isinstance(result, PushEvent | IgnoredEvent)
    try:
        headers = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return
    if isinstance(headers, dict):
        detect_provider({str(k).lower(): str(v) for k, v in headers.items()})


TARGETS: dict[str, Callable[[bytes], None]] = {
    "manifests": manifests,
    "rbac_policy": rbac_policy,
    "sync_window_schedule": sync_window_schedule,
    "go_durations": go_durations,
    "globs": globs,
    "webhook_payload": webhook_payload,
}
