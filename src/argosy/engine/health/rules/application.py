"""Application (argoproj.io), Argosy's own rule for "app of apps".

A parent app shows its child apps' health, so sync waves of child Applications
wait until each child is Healthy. Argo CD 1.8 removed this built-in rule and
asks users to paste a Lua script into argocd-cm; Argosy keeps it built in. A
child whose health was not assessed yet is Progressing.
"""

from __future__ import annotations

from typing import Any

from argosy.engine.health._fields import get_str
from argosy.engine.health.status import HealthResult, HealthStatusCode

INVALID_STATUS = "child Application reports an unknown health status"


def health(obj: dict[str, Any]) -> HealthResult:
    raw = get_str(obj, "status", "health", "status")
    message = get_str(obj, "status", "health", "message")
    if not raw:
        return HealthResult(HealthStatusCode.PROGRESSING, message)
    status = HealthStatusCode.parse(raw)
    if status is None:
        return HealthResult(HealthStatusCode.UNKNOWN, f"{INVALID_STATUS}: {raw!r}")
    return HealthResult(status, message)
