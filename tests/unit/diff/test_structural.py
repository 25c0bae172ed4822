"""Structural three-way diff: server defaults are not drift, real edits are."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from argosy.engine.diff import DiffConfig, FieldChange, diff
from argosy.engine.diff.normalize import normalize
from argosy.engine.diff.quantity import parse_quantity, scalars_equal

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx:1.25",
                            "ports": [{"containerPort": 80}],
                            "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                        }
                    ]
                },
            },
        },
    }


def as_live(desired: dict[str, Any], last_applied: bool = True) -> dict[str, Any]:
    """What the API server returns for ``desired``: defaults, status, server metadata."""
    live = copy.deepcopy(desired)
    meta = live["metadata"]
    meta.update(
        namespace="default",
        uid="1f0c",
        resourceVersion="42",
        generation=1,
        creationTimestamp="2024-01-01T00:00:00Z",
    )
    if last_applied:
        meta["annotations"] = {LAST_APPLIED: json.dumps(desired)}
    spec = live["spec"]
    spec.update(progressDeadlineSeconds=600, revisionHistoryLimit=10)
    spec["strategy"] = {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
    }
    pod = spec["template"]["spec"]
    pod.update(restartPolicy="Always", dnsPolicy="ClusterFirst", securityContext={})
    for container in pod["containers"]:
        container["terminationMessagePath"] = "/dev/termination-log"
        container["imagePullPolicy"] = "IfNotPresent"
        for port in container.get("ports", []):
            port["protocol"] = "TCP"
        limits = container.get("resources", {}).get("limits", {})
        if not limits:
            continue
        limits["cpu"] = "1000m" if limits.get("cpu") == "1" else limits.get("cpu")
        limits["memory"] = "1073741824" if limits.get("memory") == "1Gi" else limits.get("memory")
    live["status"] = {"replicas": 2, "readyReplicas": 2}
    return live


def paths(changes: list[FieldChange]) -> list[str]:
    return [c.path for c in changes]


@pytest.mark.parametrize("with_last_applied", [True, False])
def test_server_defaults_are_not_drift(with_last_applied: bool) -> None:
    result = diff(deployment(), as_live(deployment(), with_last_applied))
    assert result.changes == []
    assert result.modified is False


def test_changed_field_is_named_by_json_pointer() -> None:
    live = as_live(deployment())
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.24"
    result = diff(deployment(), live)
    assert result.modified
    assert result.changes == [
        FieldChange("/spec/template/spec/containers/0/image", "nginx:1.25", "nginx:1.24")
    ]


def test_field_removed_from_git_counts_only_if_it_was_applied() -> None:
    applied = deployment()
    applied["metadata"]["labels"]["tier"] = "frontend"
    live = as_live(applied)
    # Git dropped the label that kubectl applied before: drift.
    assert paths(diff(deployment(), live).changes) == ["/metadata/labels/tier"]
    # The same label added by someone else (not in last-applied) is not ours to judge.
    live_other = as_live(deployment())
    live_other["metadata"]["labels"]["tier"] = "frontend"
    assert not diff(deployment(), live_other).modified


def test_added_and_removed_list_elements_by_merge_key() -> None:
    applied = deployment()
    applied["spec"]["template"]["spec"]["containers"].append({"name": "sidecar", "image": "busybox"})
    live = as_live(applied)
    # An injected container (not in last-applied) is not drift...
    live["spec"]["template"]["spec"]["containers"].insert(0, {"name": "istio-proxy", "image": "proxy"})
    desired = deployment()  # ...but the sidecar removed from Git is.
    changes = diff(desired, live).changes
    assert [(c.path, c.desired, c.live["name"]) for c in changes] == [
        ("/spec/template/spec/containers/2", None, "sidecar")
    ]


@pytest.mark.parametrize(
    ("git", "cluster"),
    [("1", "1000m"), ("0.5", "500m"), ("1Gi", "1073741824"), (2, "2"), ("1e3", "1k"), ("128Mi", "134217728")],
)
def test_quantities_compare_by_amount(git: Any, cluster: Any) -> None:
    desired = deployment()
    desired["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"] = {"cpu": git}
    live = as_live(desired)
    live["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = cluster
    assert not diff(desired, live).modified


def test_different_quantities_are_drift() -> None:
    desired = deployment()
    live = as_live(desired)
    live["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "500m"
    assert paths(diff(desired, live).changes) == ["/spec/template/spec/containers/0/resources/limits/cpu"]


def test_quantity_rules_do_not_leak_into_other_fields() -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"v": "1"}}
    live = copy.deepcopy(cm)
    live["data"]["v"] = "1000m"
    assert diff(cm, live).modified
    assert scalars_equal(True, 1) is False
    assert parse_quantity("1.5Gi") == parse_quantity(1610612736)
    assert parse_quantity("lots") is None


def test_int_or_string_port() -> None:
    svc = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"ports": [{"port": 80, "targetPort": "8080"}]},
    }
    live = copy.deepcopy(svc)
    live["spec"]["ports"][0].update(targetPort=8080, protocol="TCP")
    live["spec"].update(clusterIP="10.0.0.1", type="ClusterIP", sessionAffinity="None")
    assert not diff(svc, live).modified
    live["spec"]["ports"][0]["targetPort"] = "http"
    assert paths(diff(svc, live).changes) == ["/spec/ports/0/targetPort"]


def test_empty_and_null_equal_absent() -> None:
    desired = deployment()
    desired["metadata"].update(annotations={}, creationTimestamp=None)
    desired["spec"]["template"]["spec"]["containers"][0].update(args=[], env=None)
    desired["spec"]["template"]["spec"]["imagePullSecrets"] = []
    live = as_live(deployment(), last_applied=False)
    assert not diff(desired, live).modified


def test_explicit_default_namespace_is_not_drift() -> None:
    desired = deployment()
    desired["metadata"]["namespace"] = "default"
    assert not diff(desired, as_live(deployment())).modified
    assert not diff(deployment(), as_live(desired)).modified


def test_secret_string_data_equals_data() -> None:
    desired = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s"},
        "type": "Opaque",
        "stringData": {"foo": "bar", "n": "1234"},
        "data": {"baz": "cXV4"},
    }
    live = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "s", "namespace": "argocd", "uid": "u"},
        "type": "Opaque",
        "data": {"foo": "YmFy", "n": "MTIzNA==", "baz": "cXV4"},
    }
    assert not diff(desired, live).modified
    live["data"]["foo"] = "YmF6"
    assert paths(diff(desired, live).changes) == ["/data/foo"]


def test_unsorted_endpoints_and_null_role_rules() -> None:
    ep = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "e"},
        "subsets": [
            {"addresses": [{"ip": "10.0.0.2"}, {"ip": "10.0.0.1"}], "ports": [{"port": 80, "name": "a"}]},
            {"addresses": [{"ip": "10.0.0.9"}], "ports": [{"port": 81, "name": "b"}]},
        ],
    }
    live = copy.deepcopy(ep)
    live["subsets"].reverse()
    live["subsets"][1]["addresses"].reverse()
    live["subsets"][1]["ports"][0]["protocol"] = "TCP"
    assert not diff(ep, live).modified
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "r"},
        "rules": [],
    }
    assert not diff(role, {**role, "rules": None}).modified


def test_aggregated_role_rules_are_ignored_only_when_asked() -> None:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r"},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"x": "y"}}]},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    live = copy.deepcopy(role)
    live["rules"].append({"apiGroups": [""], "resources": ["services"], "verbs": ["get"]})
    assert diff(role, live).modified
    assert not diff(role, live, DiffConfig(ignore_aggregated_roles=True)).modified


def test_missing_live_or_desired() -> None:
    result = diff(deployment(), None)
    assert result.modified and result.changes[0].path == "" and result.changes[0].live is None
    assert diff(None, as_live(deployment())).modified is False
    with pytest.raises(ValueError, match="neither"):
        diff(None, None)


def test_unreadable_last_applied_falls_back_to_two_way() -> None:
    live = as_live(deployment())
    live["metadata"]["annotations"][LAST_APPLIED] = "{not json"
    assert not diff(deployment(), live).modified


def test_inputs_are_not_mutated() -> None:
    desired, live = deployment(), as_live(deployment())
    before = (copy.deepcopy(desired), copy.deepcopy(live))
    diff(desired, live)
    assert (desired, live) == before


def test_normalized_copies_share_nothing_and_keep_what_empty_means() -> None:
    obj = deployment()
    pod = obj["spec"]["template"]["spec"]
    pod["volumes"] = [{"name": "scratch", "emptyDir": {}}]
    pod["containers"][0]["args"] = ["a", None, ""]
    obj["metadata"]["creationTimestamp"] = "2026-12-04T00:00:00Z"
    before = copy.deepcopy(obj)
    out = normalize(obj)
    assert out["spec"]["template"]["spec"]["volumes"] == [{"name": "scratch", "emptyDir": {}}]
    assert out["spec"]["template"]["spec"]["containers"][0]["args"] == ["a", None, ""], "list items stay"
    assert "creationTimestamp" not in out["metadata"]
    out["spec"]["template"]["spec"]["volumes"][0]["emptyDir"]["medium"] = "Memory"
    out["spec"]["template"]["spec"]["containers"][0]["args"].append("b")
    assert obj == before
    assert normalize({"kind": "X", "metadata": {"creationTimestamp": "t"}}) == {"kind": "X"}


def test_crd_objects_use_the_same_rules() -> None:
    desired = {"apiVersion": "foo.io/v1", "kind": "Foo", "metadata": {"name": "f"}, "spec": {"foo": "bar"}}
    live = copy.deepcopy(desired)
    live["metadata"].update(namespace="kube-system", resourceVersion="1")
    live["spec"]["defaulted"] = True
    assert not diff(desired, live).modified
    live["spec"]["foo"] = "baz"
    assert paths(diff(desired, live).changes) == ["/spec/foo"]


@pytest.mark.parametrize(
    ("desired", "live"),
    [
        # malformed Secret fields are masked whole, not crashed on
        (
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": ["a", {"b": 1}]},
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": "oops"},
        ),
        # managedFields entries of the wrong shape are skipped
        (
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}},
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "c", "managedFields": [{"manager": {}, "fieldsV1": []}, "x"]},
                "data": {"a": "2"},
            },
        ),
        # metadata that is not a mapping
        (
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": "c"},
            {"apiVersion": "v1", "kind": "ConfigMap"},
        ),
    ],
)
def test_malformed_objects_do_not_crash(desired: dict[str, Any], live: dict[str, Any]) -> None:
    config = DiffConfig.build(
        app_ignore_differences=[{"group": "*", "kind": "*", "managedFieldsManagers": ["m"]}]
    )
    result = diff(desired, live, config)
    assert result.modified
    assert "oops" not in repr(result) or desired["kind"] != "Secret"


def test_server_side_applied_object_uses_owned_fields_as_last_applied() -> None:
    desired = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}}
    live = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "c",
            "managedFields": [
                {
                    "manager": "argosy-controller",
                    "operation": "Apply",
                    "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}}},
                },
                {"manager": "kubectl-edit", "operation": "Update", "fieldsV1": {"f:data": {"f:c": {}}}},
            ],
        },
        "data": {"a": "1", "b": "2", "c": "3"},
    }
    # b was applied by Argosy and is gone from Git: drift. c belongs to someone else: not drift.
    assert [(c.path, c.desired, c.live) for c in diff(desired, live).changes] == [("/data/b", None, "2")]
    assert not diff(desired, live, manager="someone-else").modified
