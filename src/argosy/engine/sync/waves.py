"""Which wave an object belongs to.

``argocd.argoproj.io/sync-wave`` holds a whole number (negative allowed,
default 0). Without it, Helm's ``helm.sh/hook-weight`` is used, as Argo CD
does, so a chart's hook weights keep their meaning. Argo CD silently treats a
malformed wave as 0, which reorders a sync without telling anyone; here a
malformed ``sync-wave`` is an error (the sync does not start) and a malformed
Helm weight, which usually comes from a third-party chart, is a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from argosy.engine.keys import ResourceKey
from argosy.engine.sync.common import (
    ANNOTATION_HELM_HOOK_WEIGHT,
    ANNOTATION_SYNC_WAVE,
    Problem,
    annotation,
    annotation_field,
    error,
    warning,
)

_INTEGER = re.compile(r"[+-]?[0-9]+")


def parse_int(text: str) -> int | None:
    """An integer written the way Go's ``strconv.Atoi`` accepts it, else None."""
    return int(text) if _INTEGER.fullmatch(text) else None


def wave_of(obj: Mapping[str, Any]) -> tuple[int, list[Problem]]:
    """The object's wave and what was wrong with its annotations."""
    key = ResourceKey.of(obj)
    problems: list[Problem] = []
    text = annotation(obj, ANNOTATION_SYNC_WAVE)
    if text is not None:
        value = parse_int(text)
        if value is not None:
            return value, problems
        problems.append(
            error(
                key,
                annotation_field(ANNOTATION_SYNC_WAVE),
                f"{text!r} is not a whole number; write the wave as an integer such as "
                '"-1" or "5" (quoted in YAML), or remove the annotation for wave 0',
            )
        )
    weight = annotation(obj, ANNOTATION_HELM_HOOK_WEIGHT)
    if weight is not None:
        value = parse_int(weight.strip())
        if value is not None:
            return value, problems
        problems.append(
            warning(
                key,
                annotation_field(ANNOTATION_HELM_HOOK_WEIGHT),
                f"{weight!r} is not a whole number; the object is placed in wave 0. "
                "Fix the chart's hook weight or set argocd.argoproj.io/sync-wave",
            )
        )
    return 0, problems
