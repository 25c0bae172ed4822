"""Health statuses, results, and Argo CD's "worst wins" order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from argosy.model.status import HealthStatusCode as HealthStatusCode

# Argo CD's healthOrder, most healthy first: an app is as healthy as its worst resource.
# Unknown ranks last so that a failed assessment is never hidden behind Degraded.
HEALTH_ORDER: tuple[HealthStatusCode, ...] = (
    HealthStatusCode.HEALTHY,
    HealthStatusCode.SUSPENDED,
    HealthStatusCode.PROGRESSING,
    HealthStatusCode.MISSING,
    HealthStatusCode.DEGRADED,
    HealthStatusCode.UNKNOWN,
)
_RANK = {status: i for i, status in enumerate(HEALTH_ORDER)}


def is_worse(current: HealthStatusCode, new: HealthStatusCode) -> bool:
    """Whether ``new`` is a worse condition than ``current`` (Argo CD's ``IsWorse``)."""
    return _RANK[new] > _RANK[current]


def worst(
    statuses: Iterable[HealthStatusCode], default: HealthStatusCode = HealthStatusCode.HEALTHY
) -> HealthStatusCode:
    """The worst of ``statuses``; ``default`` (Healthy) when there are none."""
    result = default
    for status in statuses:
        if is_worse(result, status):
            result = status
    return result


@dataclass(frozen=True)
class HealthResult:
    """One object's health as shown to users: a status and a human message."""

    status: HealthStatusCode
    message: str = ""

    def to_dict(self) -> dict[str, str]:
        """The ``{status, message}`` shape of ``status.resources[].health``."""
        out = {"status": self.status.value}
        if self.message:
            out["message"] = self.message
        return out
