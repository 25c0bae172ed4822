"""Parsing ``git log -1`` / ``git tag --points-at`` into Argo CD's RevisionMetadata."""

from __future__ import annotations

from argosy.repo.commitmeta import RevisionMetadata, parse_commit, utc_rfc3339


def test_parse_commit_keeps_the_body_and_sorts_tags() -> None:
    out = "Ada <ada@example.com>\x002026-01-02T04:05:06+01:00\x00Subject line\n\nBody: a\x00b?\n\n"
    meta = parse_commit(out, "v2\nv10\n\n")
    assert meta == RevisionMetadata(
        author="Ada <ada@example.com>",
        date="2026-01-02T03:05:06Z",
        message="Subject line\n\nBody: a\x00b?",
        tags=["v10", "v2"],
    )
    assert RevisionMetadata.from_dict(meta.to_dict()) == meta
    assert set(meta.to_dict()) == {"author", "date", "tags", "message", "signatureInfo"}


def test_dates_become_utc_and_unparseable_ones_pass_through() -> None:
    assert utc_rfc3339("2026-06-30T23:30:00-02:00\n") == "2026-07-01T01:30:00Z"
    assert utc_rfc3339("yesterday") == "yesterday"
