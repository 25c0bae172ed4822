"""A registry's tags with what the strategies need: creation date and digest.

A tag list is a set keyed by name: adding a name again replaces the entry (so
it carries the latest date seen). Sorting is ascending (the newest last), as
Argo CD Image Updater's: by name (byte order), by semver (tags that are not
versions are left out; equal versions ordered by spelling, ``v2.0`` before
``v2.0.0``) or by date (ties by name, so an image with two tags picks the same
one every time).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import semver

from argosy.repo.semverrange import parse_version

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class ImageTag:
    name: str
    created: datetime = EPOCH
    digest: str = ""

    def equals(self, other: ImageTag) -> bool:
        """Same image: digests decide when either side has one, names otherwise."""
        if self.digest or other.digest:
            return self.digest == other.digest
        return self.name == other.name


class TagList:
    def __init__(self, tags: Iterable[ImageTag] = ()) -> None:
        self._items: dict[str, ImageTag] = {}
        for tag in tags:
            self.add(tag)

    def add(self, tag: ImageTag) -> None:
        self._items[tag.name] = tag

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[ImageTag]:
        return iter(self._items.values())

    def get(self, name: str) -> ImageTag | None:
        return self._items.get(name)

    def names(self) -> list[str]:
        return list(self._items)

    def by_name(self) -> list[ImageTag]:
        return sorted(self._items.values(), key=lambda t: t.name)

    def by_date(self) -> list[ImageTag]:
        return sorted(self._items.values(), key=lambda t: (t.created, t.name))

    def by_semver(self) -> list[ImageTag]:
        versions = [(v, t) for t in self._items.values() if (v := parse_version(t.name)) is not None]

        def order(a: tuple[semver.Version, ImageTag], b: tuple[semver.Version, ImageTag]) -> int:
            c = a[0].compare(b[0])
            return c if c else (a[1].name > b[1].name) - (a[1].name < b[1].name)

        return [t for _, t in sorted(versions, key=functools.cmp_to_key(order))]
