"""Resource actions: built-in discovery and results (fixed clock), argocd-cm custom actions, refusals."""

from __future__ import annotations

import calendar
from typing import Any

import pytest

from argosy.engine.actions import ActionError, discover_actions, run_action
from argosy.settings import resource_customizations

NOW = calendar.timegm((2026, 12, 2, 21, 30, 5, 0, 0, 0))
STAMP = "2026-12-02T21:30:05Z"


def deployment(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo", "labels": {}},
        "spec": {
            "replicas": 2,
            "template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}},
            **spec,
        },
    }


def names(obj: dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, bool]:
    return {a.name: a.disabled for a in discover_actions(obj, overrides or {}, now=NOW)}


def test_deployment_offers_restart_and_pause_or_resume_by_state() -> None:
    assert names(deployment()) == {"pause": False, "restart": False, "resume": True}
    assert names(deployment(paused=True)) == {"pause": True, "restart": False, "resume": False}
    restart = discover_actions(deployment(), {})[1]
    assert restart.to_api() == {"name": "restart", "disabled": False, "iconClass": "fa fa-fw fa-redo"}


def test_restart_stamps_the_pod_template_and_keeps_empty_maps() -> None:
    [result] = run_action(deployment(), "restart", {}, now=NOW)
    assert result.operation == "patch"
    template = result.resource["spec"]["template"]
    assert template["metadata"]["annotations"] == {"kubectl.kubernetes.io/restartedAt": STAMP}
    assert result.resource["metadata"]["labels"] == {}  # not turned into [] by the Lua round trip
    assert template["spec"]["containers"] == [{"name": "c", "image": "nginx"}]


def test_pause_and_resume_set_and_clear_spec_paused() -> None:
    [paused] = run_action(deployment(), "pause", {}, now=NOW)
    assert paused.resource["spec"]["paused"] is True
    [resumed] = run_action(deployment(paused=True), "resume", {}, now=NOW)
    assert "paused" not in resumed.resource["spec"]


def test_disabled_or_unknown_actions_are_refused() -> None:
    with pytest.raises(ActionError, match="disabled"):
        run_action(deployment(), "resume", {}, now=NOW)
    with pytest.raises(ActionError, match=r"no action 'scale'.*pause, restart, resume"):
        run_action(deployment(), "scale", {}, now=NOW)
    with pytest.raises(ActionError, match="available: none"):
        run_action({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}, "restart", {})


@pytest.mark.parametrize("kind", ["StatefulSet", "DaemonSet"])
def test_statefulset_and_daemonset_restart(kind: str) -> None:
    obj = {**deployment(), "kind": kind}
    assert names(obj) == {"restart": False}
    [result] = run_action(obj, "restart", {}, now=NOW)
    assert result.resource["spec"]["template"]["metadata"]["annotations"] == {
        "kubectl.kubernetes.io/restartedAt": STAMP
    }


def test_cronjob_create_job_returns_a_new_job_owned_by_the_cronjob() -> None:
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "nightly", "namespace": "demo", "uid": "u-1"},
        "spec": {
            "schedule": "@daily",
            "jobTemplate": {"spec": {"template": {"spec": {"restartPolicy": "Never"}}}},
        },
    }
    assert names(cron) == {"create-job": False, "suspend": False}
    [created] = run_action(cron, "create-job", {}, now=NOW)
    assert created.operation == "create"
    job = created.resource
    assert job["kind"] == "Job" and job["metadata"]["name"] == "nightly-2612022130"
    assert job["metadata"]["annotations"] == {"cronjob.kubernetes.io/instantiate": "manual"}
    assert job["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert job["spec"] == {"template": {"spec": {"restartPolicy": "Never"}}}


CUSTOM = """
discovery.lua: |
  return { ["bump"] = { displayName = "Bump replicas" } }
definitions:
- name: bump
  action.lua: |
    obj.spec.replicas = obj.spec.replicas + 1
    return obj
"""


def test_custom_actions_from_argocd_cm_replace_or_merge_with_builtins() -> None:
    key = "resource.customizations.actions.apps_Deployment"
    replaced = resource_customizations.parse({key: CUSTOM})
    assert names(deployment(), replaced) == {"bump": False}
    [bumped] = run_action(deployment(), "bump", replaced)
    assert bumped.resource["spec"]["replicas"] == 3
    merged = resource_customizations.parse({key: CUSTOM + "mergeBuiltinActions: true\n"})
    assert set(names(deployment(), merged)) == {"bump", "pause", "restart", "resume"}
    assert discover_actions(deployment(), merged)[0].display_name == "Bump replicas"


def test_a_failing_custom_script_is_an_error_naming_the_script() -> None:
    bad = resource_customizations.parse(
        {"resource.customizations.actions.apps_Deployment": "discovery.lua: |\n  error('boom')\n"}
    )
    with pytest.raises(ActionError, match=r"discovery.lua.*boom"):
        discover_actions(deployment(), bad)
    looping = resource_customizations.parse(
        {
            "resource.customizations.actions.apps_Deployment": "discovery.lua: return {spin={}}\n"
            "definitions:\n- name: spin\n  action.lua: while true do end\n"
        }
    )
    with pytest.raises(ActionError, match=r"spin/action.lua.*limit"):
        run_action(deployment(), "spin", looping)
