"""When an ApplicationSet is looked at again without any event.

``list`` and ``clusters`` never need a timer (cluster Secret events requeue
them); Git, plugin and cluster-decision generators default to 3 minutes, SCM
provider and pull request generators to 30 minutes as in Argo CD (hosted APIs
rate-limit tokens; their webhooks regenerate at once).
``ARGOCD_APPLICATIONSET_CONTROLLER_REQUEUE_AFTER`` overrides the 3 minutes (not the
30, as in Argo CD); a generator's ``requeueAfterSeconds`` overrides either. The
shortest wins.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from argosy.engine.durations import parse_go_duration

DEFAULT_REQUEUE_SECONDS = 180
SCM_DEFAULT_REQUEUE_SECONDS = 1800
_SCM = ("scmProvider", "pullRequest")
_POLLED = ("git", "scmProvider", "pullRequest", "clusterDecisionResource", "plugin")


def default_requeue_seconds(env_value: str = "") -> int:
    """The default interval: the environment's duration (``5m``, ``1h``), else 3 minutes."""
    if env_value.strip():
        return int(parse_go_duration(env_value.strip()).total_seconds())
    return DEFAULT_REQUEUE_SECONDS


def _children(spec: Any) -> list[Mapping[str, Any]]:
    out = []
    for child in (spec or {}).get("generators") or []:
        if isinstance(child, str):
            try:
                child = json.loads(child)
            except ValueError:
                continue
        if isinstance(child, Mapping):
            out.append(child)
    return out


def _intervals(entry: Mapping[str, Any], default: int, scm_default: int) -> Iterable[int]:
    for kind in _POLLED:
        spec = entry.get(kind)
        if spec is not None:
            own = spec.get("requeueAfterSeconds") if isinstance(spec, Mapping) else None
            fallback = scm_default if kind in _SCM else default
            yield int(own) if own is not None else fallback
    for kind in ("matrix", "merge"):
        if entry.get(kind) is not None:
            for child in _children(entry.get(kind)):
                yield from _intervals(child, default, scm_default)


def requeue_after_seconds(generators: Iterable[Mapping[str, Any]], env_value: str = "") -> int:
    """Seconds until the next timed regeneration (0: none)."""
    default = default_requeue_seconds(env_value)
    found = [s for g in generators for s in _intervals(g, default, SCM_DEFAULT_REQUEUE_SECONDS) if s > 0]
    return min(found) if found else 0


def uses_clusters(entry: Mapping[str, Any]) -> bool:
    """The entry (or a nested matrix/merge child) has a ``clusters`` generator."""
    if entry.get("clusters") is not None:
        return True
    return any(
        uses_clusters(child)
        for kind in ("matrix", "merge")
        if entry.get(kind)
        for child in _children(entry[kind])
    )
