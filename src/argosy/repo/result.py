"""What a render returns: objects with provenance, the resolved revisions, warnings.

Provenance (source index, file relative to the repository root, document
index, line) lets later stages - diff, sync, health, conditions - tell the
user which file an object came from. An empty ``objects`` list is a valid
render (an empty directory), distinct from any error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Provenance:
    source_index: int = 0
    file: str = ""
    document_index: int | None = None
    line: int | None = None


@dataclass
class RenderedObject:
    object: dict[str, Any]
    provenance: Provenance = field(default_factory=Provenance)

    def to_dict(self) -> dict[str, Any]:
        return {"object": self.object, "provenance": asdict(self.provenance)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RenderedObject:
        return cls(d["object"], Provenance(**d.get("provenance") or {}))


@dataclass
class SourceResult:
    """Per source: where it came from and what it resolved to."""

    repo_url: str
    revision: str
    target_revision: str = ""
    path: str = ""
    chart: str = ""
    tool: str = ""
    ref: str = ""
    cached: bool = False
    object_count: int = 0


@dataclass
class RenderResult:
    objects: list[RenderedObject] = field(default_factory=list)
    sources: list[SourceResult] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def revision(self) -> str:
        """The first source's revision (Argo CD's ``status.sync.revision``)."""
        return self.sources[0].revision if self.sources else ""

    @property
    def revisions(self) -> list[str]:
        """Per-source revisions (Argo CD's ``status.sync.revisions``)."""
        return [s.revision for s in self.sources]

    @property
    def cached(self) -> bool:
        return bool(self.sources) and all(s.cached for s in self.sources)

    def manifests(self) -> list[dict[str, Any]]:
        return [o.object for o in self.objects]

    def to_dict(self) -> dict[str, Any]:
        return {
            "objects": [o.to_dict() for o in self.objects],
            "sources": [asdict(s) for s in self.sources],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RenderResult:
        return cls(
            objects=[RenderedObject.from_dict(o) for o in d.get("objects") or []],
            sources=[SourceResult(**s) for s in d.get("sources") or []],
            warnings=list(d.get("warnings") or []),
        )
