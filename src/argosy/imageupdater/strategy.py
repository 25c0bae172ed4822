"""Which tag is "newest": the update strategies and the tag filters, pure.

* ``semver`` (default): the highest version satisfying the constraint (the tag
  part of the ``image-list`` entry, Masterminds syntax: ``~1.2``, ``^1``, ``1.x``,
  ``vx``); tags that are not versions are skipped; pre-releases only when the
  constraint names one. An unparsable constraint is an error, no match is not.
* ``newest-build`` (alias ``latest``): the most recently *built* tag (image
  config ``created``).
* ``alphabetical`` (alias ``name``): the last tag by name.
* ``digest``: the constraint names one mutable tag; follow its digest
  (written back as ``tag@sha256:…``).

``allow-tags`` (``regexp:<re>``, ``any``) keeps tags, ``ignore-tags`` (shell globs,
``tag?`` matches ``tag1`` not ``tag10``) drops them, before the strategy looks.
"""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from argosy.engine.regex import RegexError, compile_go
from argosy.imageupdater.tags import ImageTag, TagList
from argosy.repo.semverrange import check_constraint, matches, parse_version


class Strategy(enum.Enum):
    SEMVER = "semver"
    NEWEST_BUILD = "newest-build"
    ALPHABETICAL = "alphabetical"
    DIGEST = "digest"

    @property
    def needs_metadata(self) -> bool:
        """Reading each tag's manifest (creation date, digest) is needed."""
        return self in (Strategy.NEWEST_BUILD, Strategy.DIGEST)

    @property
    def cacheable(self) -> bool:
        """A tag's metadata can be kept between cycles (a digest moves under the same tag)."""
        return self is not Strategy.DIGEST


_ALIASES = {"latest": Strategy.NEWEST_BUILD, "name": Strategy.ALPHABETICAL}


class SelectionError(ValueError):
    """A setting of the image cannot be used (strategy, constraint, allow-tags); the text says which."""


def parse_strategy(text: str) -> Strategy:
    value = (text or "").strip().lower()
    if not value:
        return Strategy.SEMVER
    if value in _ALIASES:
        return _ALIASES[value]
    try:
        return Strategy(value)
    except ValueError:
        names = ", ".join([s.value for s in Strategy] + list(_ALIASES))
        raise SelectionError(f"update-strategy {text!r} is unknown: use one of {names}") from None


TagMatch = Callable[[str], bool]


def parse_allow_tags(text: str | None) -> TagMatch:
    """``regexp:<expression>`` or ``any`` (or nothing): the tags that may be considered."""
    value = (text or "").strip()
    if not value or value == "any":
        return lambda _tag: True
    kind, sep, arg = value.partition(":")
    if sep and kind == "regexp":
        try:
            pattern = compile_go(arg)  # Go's linear-time RE2, as Argo CD Image Updater
        except RegexError as exc:
            raise SelectionError(f"allow-tags {value!r}: {exc}") from None
        return lambda tag: pattern.search(tag) is not None
    raise SelectionError(f"allow-tags {value!r}: use 'regexp:<expression>' or 'any'")


def is_ignored(tag: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(tag, p) for p in patterns if p)


@dataclass(frozen=True)
class Selection:
    """How one image picks its tag."""

    strategy: Strategy = Strategy.SEMVER
    constraint: str = ""
    allow: TagMatch = field(default=lambda _tag: True)
    ignore: tuple[str, ...] = ()

    def validate(self) -> None:
        if self.strategy is Strategy.SEMVER and self.constraint:
            try:
                check_constraint(self.constraint)
            except ValueError as exc:
                raise SelectionError(f"version constraint {self.constraint!r}: {exc}") from None
        if self.strategy is Strategy.DIGEST and not self.constraint:
            raise SelectionError("update-strategy digest needs the tag to follow, e.g. 'repo/image:latest'")

    def considered(self, name: str) -> bool:
        """Passes allow-tags and ignore-tags (and, for digest, is the followed tag)."""
        if self.strategy is Strategy.DIGEST and name != self.constraint:
            return False
        return self.allow(name) and not is_ignored(name, self.ignore)


def newest_tag(selection: Selection, tags: TagList) -> ImageTag | None:
    """The tag the strategy picks among ``tags``, or None when none qualifies (not an error)."""
    selection.validate()
    kept = TagList(t for t in tags if selection.considered(t.name))
    strategy = selection.strategy
    if strategy is Strategy.SEMVER:
        ordered = kept.by_semver()
        if selection.constraint:
            ordered = [t for t in ordered if matches(selection.constraint, t.name)]
        else:
            ordered = [t for t in ordered if not (v := parse_version(t.name)) or not v.prerelease]
    elif strategy is Strategy.NEWEST_BUILD:
        ordered = kept.by_date()
    else:
        ordered = kept.by_name()
    return ordered[-1] if ordered else None
