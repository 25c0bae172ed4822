"""The kind table and the within-wave order it produces."""

from __future__ import annotations

import random

from sync_helpers import desired, obj, request

from argosy.engine.sync import KIND_ORDER, build_plan, kind_index
from argosy.engine.sync.kind_order import UNLISTED

ISSUE_TABLE = [
    "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
    "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
    "PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
    "ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList",
    "RoleBinding", "RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController",
    "ReplicaSet", "Deployment", "HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob",
    "IngressClass", "Ingress", "APIService",
]  # fmt: skip


def test_table_is_exactly_argo_cds_order() -> None:
    assert list(KIND_ORDER) == ISSUE_TABLE
    assert [kind_index(k) for k in ISSUE_TABLE] == list(range(len(ISSUE_TABLE)))


def test_unlisted_kinds_come_after_every_listed_kind() -> None:
    assert kind_index("Widget") == UNLISTED
    assert all(kind_index(k) < kind_index("MutatingWebhookConfiguration") for k in ISSUE_TABLE)


def test_plan_orders_one_object_of_each_kind_by_the_table_whatever_the_input_order() -> None:
    objs = [obj(kind, f"x-{kind.lower()}", "" if kind == "Namespace" else "ns") for kind in ISSUE_TABLE]
    objs += [
        obj("Widget", "b-widget", "ns", api="example.com/v1"),
        obj("Gadget", "a-gadget", "ns", api="example.com/v1"),
    ]
    for seed in range(5):
        shuffled = list(objs)
        random.Random(seed).shuffle(shuffled)
        plan = build_plan(desired(*shuffled), [], request())
        kinds = [t.key.kind for t in plan.tasks]
        # Unlisted kinds share one place and are ordered by name among themselves, as in Argo CD.
        assert kinds == [*ISSUE_TABLE, "Gadget", "Widget"]


def test_same_kind_is_ordered_by_name_then_namespace() -> None:
    plan = build_plan(
        desired(obj("ConfigMap", "b", "ns1"), obj("ConfigMap", "a", "ns2"), obj("ConfigMap", "a", "ns1")),
        [],
        request(),
    )
    assert [(t.key.name, t.key.namespace) for t in plan.tasks] == [("a", "ns1"), ("a", "ns2"), ("b", "ns1")]


def test_kind_order_is_matched_on_kind_whatever_the_group() -> None:
    knative = obj("Service", "svc", "ns", api="serving.knative.dev/v1")
    plan = build_plan(desired(obj("Deployment", "d", "ns", api="apps/v1"), knative), [], request())
    assert [t.key.kind for t in plan.tasks] == ["Service", "Deployment"]
    assert plan.tasks[0].kind_order == kind_index("Service")
