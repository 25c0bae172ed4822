"""ignoreDifferences in its three forms, argocd-cm customizations and compare options."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from argosy.engine.diff import (
    CompareOptionsError,
    CompareSettings,
    DiffConfig,
    IgnoreRuleError,
    diff,
    ignores_extraneous,
    object_compare_options,
    rules_from_application,
    use_server_side_diff,
)
from argosy.engine.diff.ignore import IgnoreRule, apply_rules
from argosy.settings.resource_customizations import SettingsError


def deployment(name: str = "web", replicas: int = 2) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "prod"},
        "spec": {
            "replicas": replicas,
            "template": {
                "spec": {
                    "initContainers": [{"name": "init", "image": "busybox"}],
                    "containers": [{"name": "web", "image": "nginx"}],
                }
            },
        },
    }


def scaled(obj: dict[str, Any], replicas: int) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    out["spec"]["replicas"] = replicas
    return out


def test_json_pointer_rule() -> None:
    config = DiffConfig.build(
        app_ignore_differences=[{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]
    )
    assert diff(deployment(), scaled(deployment(), 5)).modified
    result = diff(deployment(), scaled(deployment(), 5), config)
    assert not result.modified
    assert "replicas" not in result.normalized_live["spec"]  # type: ignore[index]


def test_rule_scoped_by_name_and_namespace() -> None:
    rule = {
        "group": "apps",
        "kind": "Deployment",
        "name": "web",
        "namespace": "prod",
        "jsonPointers": ["/spec/replicas"],
    }
    config = DiffConfig.build(app_ignore_differences=[rule])
    assert not diff(deployment("web"), scaled(deployment("web"), 5), config).modified
    assert diff(deployment("api"), scaled(deployment("api"), 5), config).modified
    other_ns = scaled(deployment("web"), 5)
    other_ns["metadata"]["namespace"] = "staging"
    assert diff(deployment("web"), other_ns, config).modified


def test_group_must_match() -> None:
    config = DiffConfig.build(
        app_ignore_differences=[{"kind": "Deployment", "jsonPointers": ["/spec/replicas"]}]
    )
    # No group means the core group, and Deployments live in "apps".
    assert diff(deployment(), scaled(deployment(), 5), config).modified


def test_jq_path_expression_rule() -> None:
    rule = {
        "group": "apps",
        "kind": "Deployment",
        "jqPathExpressions": ['.spec.template.spec.initContainers[] | select(.name == "injected")'],
    }
    live = deployment()
    live["spec"]["template"]["spec"]["initContainers"].insert(0, {"name": "injected", "image": "x"})
    # initContainers has a merge key, so an unknown extra element is fine anyway; make it
    # one that was applied before to prove the rule does the work.
    applied = copy.deepcopy(live)
    live["metadata"]["annotations"] = {
        "kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied)
    }
    live["spec"]["template"]["spec"]["initContainers"][0]["image"] = "y"
    assert diff(deployment(), live).modified
    assert not diff(deployment(), live, DiffConfig.build(app_ignore_differences=[rule])).modified


def test_managed_fields_managers_rule() -> None:
    live = scaled(deployment(), 7)
    live["metadata"]["managedFields"] = [
        {"manager": "argosy-controller", "operation": "Apply", "fieldsV1": {"f:spec": {"f:template": {}}}},
        {
            "manager": "kube-controller-manager",
            "operation": "Update",
            "fieldsV1": {"f:spec": {"f:replicas": {}}},
        },
    ]
    assert diff(deployment(), live).modified
    rule = {"group": "*", "kind": "*", "managedFieldsManagers": ["kube-controller-manager"]}
    assert not diff(deployment(), live, DiffConfig.build(app_ignore_differences=[rule])).modified
    other = {"group": "*", "kind": "*", "managedFieldsManagers": ["someone-else"]}
    assert diff(deployment(), live, DiffConfig.build(app_ignore_differences=[other])).modified


def test_managed_fields_list_element_by_key() -> None:
    live = deployment()
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:patched"
    live["metadata"]["managedFields"] = [
        {
            "manager": "patcher",
            "fieldsV1": {
                "f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"web"}': {"f:image": {}}}}}}
            },
        }
    ]
    rule = {"group": "apps", "kind": "Deployment", "managedFieldsManagers": ["patcher"]}
    assert diff(deployment(), live).modified
    assert not diff(deployment(), live, DiffConfig.build(app_ignore_differences=[rule])).modified


def test_system_customization_by_group_kind_and_all() -> None:
    cm = {"resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers:\n- /spec/replicas\n"}
    assert not diff(deployment(), scaled(deployment(), 5), DiffConfig.build(cm)).modified
    everything = {"resource.customizations.ignoreDifferences.all": "jsonPointers:\n- /spec/replicas\n"}
    assert not diff(deployment(), scaled(deployment(), 5), DiffConfig.build(everything)).modified
    other_kind = {
        "resource.customizations.ignoreDifferences.apps_StatefulSet": "jsonPointers:\n- /spec/replicas\n"
    }
    assert diff(deployment(), scaled(deployment(), 5), DiffConfig.build(other_kind)).modified


def test_single_key_customizations_form() -> None:
    cm = {
        "resource.customizations": (
            "apps/Deployment:\n  ignoreDifferences: |\n    jqPathExpressions:\n    - .spec.replicas\n"
        )
    }
    assert not diff(deployment(), scaled(deployment(), 5), DiffConfig.build(cm)).modified


def test_status_ignored_by_default_and_configurable() -> None:
    desired = deployment()
    desired["status"] = {"replicas": 1}
    live = copy.deepcopy(desired)
    live["status"] = {"replicas": 3}
    assert not diff(desired, live, DiffConfig.build({})).modified
    assert diff(
        desired, live, DiffConfig.build({"resource.compareoptions": "ignoreResourceStatusField: off"})
    ).modified
    crd_only = DiffConfig.build({"resource.compareoptions": "ignoreResourceStatusField: crd"})
    assert diff(desired, live, crd_only).modified
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "foos.example.com"},
        "spec": {"group": "example.com"},
        "status": {"storedVersions": []},
    }
    crd_live = copy.deepcopy(crd)
    crd_live["status"] = {"storedVersions": ["v1"], "acceptedNames": {"kind": "Foo"}}
    crd_live["spec"]["preserveUnknownFields"] = False
    assert not diff(crd, crd_live, crd_only).modified


def test_compare_options_settings() -> None:
    s = CompareSettings.from_argocd_cm(
        {"resource.compareoptions": "ignoreAggregatedRoles: true\nignoreResourceStatusField: none"}
    )
    assert s.ignore_aggregated_roles and s.status_rules() == []
    assert CompareSettings.from_argocd_cm({}).ignore_resource_status_field == "all"
    with pytest.raises(CompareOptionsError, match=r"ignoreResourceStatusField.*all, crd, none, off"):
        CompareSettings.from_argocd_cm({"resource.compareoptions": "ignoreResourceStatusField: some"})


def test_bad_rules_name_their_location() -> None:
    with pytest.raises(
        IgnoreRuleError, match=r"Application 'guestbook' spec.ignoreDifferences\[1\].*JSON pointer"
    ):
        rules_from_application(
            [{"kind": "Service", "jsonPointers": ["/a"]}, {"kind": "Service", "jsonPointers": ["spec/x"]}],
            app="guestbook",
        )
    with pytest.raises(IgnoreRuleError, match=r"jqPathExpressions entry '\.a\[' does not compile"):
        rules_from_application([{"kind": "Service", "jqPathExpressions": [".a["]}])
    with pytest.raises(IgnoreRuleError, match="kind is required"):
        rules_from_application([{"group": "apps", "jsonPointers": ["/a"]}])
    with pytest.raises(IgnoreRuleError, match="must be a list of strings"):
        rules_from_application([{"kind": "Service", "jsonPointers": "/a"}])
    with pytest.raises(IgnoreRuleError, match="ignoreDifferences for 'apps/Deployment'"):
        DiffConfig.build(
            {"resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers: [nope]"}
        )
    with pytest.raises(SettingsError):
        DiffConfig.build({"resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers: ["})


def test_pointer_to_missing_field_is_harmless() -> None:
    config = DiffConfig.build(
        app_ignore_differences=[
            {"group": "*", "kind": "*", "jsonPointers": ["/spec/nothing/here", "/spec/replicas"]}
        ]
    )
    assert not diff(deployment(), scaled(deployment(), 3), config).modified


@pytest.mark.parametrize(
    ("pointer", "left"),
    [
        (
            "/spec/template/spec/containers/0",
            {"initContainers": [{"name": "init", "image": "busybox"}], "containers": []},
        ),
        ("/spec/template/spec/containers/-", None),  # the end of a list names nothing to remove
        ("/spec/template/spec/containers/7", None),
        ("/spec/template/spec/containers/web", None),  # not an index
        ("/spec/replicas/deeper", None),  # below a scalar
        ("spec", None),  # malformed: a pointer starts with /
        ("", None),  # the whole document is never removed
    ],
)
def test_json_pointers_remove_exactly_what_they_name(pointer: str, left: dict[str, Any] | None) -> None:
    original = deployment()
    out = apply_rules(original, [IgnoreRule(json_pointers=(pointer,))])
    assert original == deployment(), "not in place: the caller's object is untouched"
    assert out["spec"]["template"]["spec"] == (left or deployment()["spec"]["template"]["spec"])


def test_an_escaped_pointer_and_an_emptied_parent() -> None:
    live = deployment()
    live["metadata"]["annotations"] = {"example.com/a~b": "x"}
    rule = {
        "group": "apps",
        "kind": "Deployment",
        "jsonPointers": ["/metadata/annotations/example.com~1a~0b"],
    }
    config = DiffConfig.build(app_ignore_differences=[rule])
    result = diff(deployment(), live, config)
    assert not result.modified
    # The removal emptied annotations: pruned like any empty map, on the live side too.
    assert "annotations" not in result.normalized_live["metadata"]  # type: ignore[index]


def test_compare_options_annotation() -> None:
    live = deployment()
    live["metadata"]["annotations"] = {
        "argocd.argoproj.io/compare-options": "IgnoreExtraneous, ServerSideDiff=false"
    }
    opts = object_compare_options(live)
    assert opts.ignore_extraneous and opts.server_side_diff is False and not opts.include_mutation_webhook
    assert ignores_extraneous(live)
    assert not ignores_extraneous(deployment())
    assert use_server_side_diff(None, live, app_default=True) is False
    assert use_server_side_diff(deployment(), None, app_default=True) is True
    desired = deployment()
    desired["metadata"]["annotations"] = {
        "argocd.argoproj.io/compare-options": "ServerSideDiff=true,IncludeMutationWebhook=true"
    }
    assert use_server_side_diff(desired, live, app_default=False) is True
    assert object_compare_options(desired).include_mutation_webhook
