"""The order in which kinds are applied within one wave.

This is Argo CD's table (itself Helm's install order): what others depend on
goes first, so a Deployment finds its ServiceAccount, ConfigMap and Secret
already there. Kinds not listed (custom resources, webhooks, ...) come after
every listed kind and, among themselves, are ordered by name only, as in
Argo CD. The table is matched on ``kind`` alone, whatever the API group.
"""

from __future__ import annotations

from typing import Final

KIND_ORDER: Final[tuple[str, ...]] = (
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
)

_INDEX: Final[dict[str, int]] = {kind: i for i, kind in enumerate(KIND_ORDER)}

UNLISTED: Final[int] = len(KIND_ORDER)
"""The index every kind outside the table shares: after all listed kinds."""


def kind_index(kind: str) -> int:
    """Position of ``kind`` in the apply order; :data:`UNLISTED` for other kinds."""
    return _INDEX.get(kind, UNLISTED)
