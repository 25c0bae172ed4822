"""A commit's metadata as Argo CD's ``RevisionMetadata``: author, date, tags, message.

The UI shows the synced commit's message and author next to its SHA, so a user
sees *what* is deployed without opening the Git host. The repo service reads it
from its working copy (``git log -1`` of the resolved commit, and the tags that
point at it, which every fetch brings along); this module turns git's output
into the answer, so the parsing is testable without a repository.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

LOG_FORMAT = "--format=%an <%ae>%x00%aI%x00%B"
"""``git log`` format: author, strict ISO date and raw body, NUL-separated (NUL cannot occur in them)."""


@dataclass(frozen=True)
class RevisionMetadata:
    author: str
    date: str
    message: str
    tags: list[str] = field(default_factory=list)
    signature_info: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Argo CD's JSON field names (``signatureInfo`` stays empty: no GPG verification here)."""
        return {
            "author": self.author,
            "date": self.date,
            "tags": list(self.tags),
            "message": self.message,
            "signatureInfo": self.signature_info,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RevisionMetadata:
        return cls(
            author=str(d.get("author") or ""),
            date=str(d.get("date") or ""),
            message=str(d.get("message") or ""),
            tags=[str(t) for t in d.get("tags") or []],
            signature_info=str(d.get("signatureInfo") or ""),
        )


def utc_rfc3339(iso: str) -> str:
    """Git's ``%aI`` (``2026-01-02T04:05:06+01:00``) as Kubernetes writes times: UTC with ``Z``."""
    try:
        stamp = datetime.fromisoformat(iso.strip())
    except ValueError:
        return iso.strip()
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_commit(log_output: str, tags_output: str = "") -> RevisionMetadata:
    """Parse ``git log -1 LOG_FORMAT`` and ``git tag --points-at`` output.

    The message keeps its body (Argo CD sends the full message; the UI shows its first line)
    without git's trailing newlines."""
    author, _, rest = log_output.partition("\0")
    date, _, message = rest.partition("\0")
    tags = sorted(t.strip() for t in tags_output.splitlines() if t.strip())
    return RevisionMetadata(
        author=author.strip(), date=utc_rfc3339(date), message=message.strip("\n"), tags=tags
    )
