"""What an ApplicationSet may do to the Applications it owns.

``syncPolicy.applicationsSync`` (``create-only``, ``create-update``,
``create-delete``, ``sync``) counts only when the controller allows policy
override (the default when no controller-wide ``--policy`` is set); otherwise
the controller's policy rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from argosy.model.applicationset import ApplicationsSyncPolicy


@dataclass(frozen=True)
class Permissions:
    update: bool
    delete: bool


def effective_policy(controller_policy: str, override_allowed: bool, appset_policy: str | None) -> str:
    """The policy in force for one ApplicationSet."""
    if override_allowed and appset_policy:
        return appset_policy
    return controller_policy or ApplicationsSyncPolicy.SYNC.value


def permissions(policy: str) -> Permissions:
    """May existing Applications be updated, may ungenerated ones be deleted."""
    return Permissions(
        update=policy in (ApplicationsSyncPolicy.SYNC, ApplicationsSyncPolicy.CREATE_UPDATE),
        delete=policy in (ApplicationsSyncPolicy.SYNC, ApplicationsSyncPolicy.CREATE_DELETE),
    )
