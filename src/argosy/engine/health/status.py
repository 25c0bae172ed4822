"""Health statuses, results, and Argo CD's "worst wins" order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class HealthStatus(StrEnum):
    """The six health statuses Argo CD writes to ``status.health.status``."""

    HEALTHY = "Healthy"
    SUSPENDED = "Suspended"
    PROGRESSING = "Progressing"
    MISSING = "Missing"
    DEGRADED = "Degraded"
    UNKNOWN = "Unknown"

    @classmethod
    def parse(cls, value: str) -> HealthStatus | None:
        """The status named exactly ``value`` (as Lua scripts return it), or None."""
        try:
            return cls(value)
        except ValueError:
            return None


# Argo CD's healthOrder, most healthy first: an app is as healthy as its worst resource.
# Unknown ranks last so that a failed assessment is never hidden behind Degraded.
HEALTH_ORDER: tuple[HealthStatus, ...] = (
    HealthStatus.HEALTHY,
    HealthStatus.SUSPENDED,
    HealthStatus.PROGRESSING,
    HealthStatus.MISSING,
    HealthStatus.DEGRADED,
    HealthStatus.UNKNOWN,
)
_RANK = {status: i for i, status in enumerate(HEALTH_ORDER)}


def is_worse(current: HealthStatus, new: HealthStatus) -> bool:
    """Whether ``new`` is a worse condition than ``current`` (Argo CD's ``IsWorse``)."""
    return _RANK[new] > _RANK[current]


def worst(statuses: Iterable[HealthStatus], default: HealthStatus = HealthStatus.HEALTHY) -> HealthStatus:
    """The worst of ``statuses``; ``default`` (Healthy) when there are none."""
    result = default
    for status in statuses:
        if is_worse(result, status):
            result = status
    return result


@dataclass(frozen=True)
class HealthResult:
    """One object's health as shown to users: a status and a human message."""

    status: HealthStatus
    message: str = ""

    def to_dict(self) -> dict[str, str]:
        """The ``{status, message}`` shape of ``status.resources[].health``."""
        out = {"status": self.status.value}
        if self.message:
            out["message"] = self.message
        return out
