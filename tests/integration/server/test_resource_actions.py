"""Resource actions through the API on the local cluster: list, restart, RBAC, ownership.

The Deployment lives in the real cluster, labelled for the app as the
controller's label tracking would, and recorded in the app's
``status.resources`` as the controller writes it; the server reads it from the
cluster, runs the built-in Lua action and patches it for real.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from support.api_server import PASSWORD, ControlPlane, application, assert_error, bearer

DEPLOY_KEY = {"group": "apps", "version": "v1", "kind": "Deployment"}


def _deployment(name: str, namespace: str, owner: str) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app.kubernetes.io/instance": owner}},
        "spec": {
            "replicas": 0,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "registry.local/web:1"}]},
            },
        },
    }


@pytest.fixture(scope="module")
def app_with_deployments(control_plane: ControlPlane) -> tuple[str, str]:
    """An app owning Deployment ``web``; ``stray`` (another app's) is in its status too; ``other`` is not."""
    name = f"act-{uuid.uuid4().hex[:6]}"
    dest = f"{control_plane.namespace}-{name}"
    control_plane.cluster.kubectl("create", "namespace", dest)
    app = application(name)
    app["spec"]["destination"]["namespace"] = dest
    control_plane.apply(app)
    for obj in (_deployment("web", dest, name), _deployment("stray", dest, "someone-else"),
                _deployment("other", dest, name)):  # fmt: skip
        control_plane.cluster.kubectl("apply", "-f", "-", stdin=json.dumps(obj))
    resources = [{**DEPLOY_KEY, "namespace": dest, "name": n, "status": "Synced"} for n in ("web", "stray")]
    control_plane.patch_app(name, {"status": {"resources": resources}})
    return name, dest


def _query(dest: str, name: str) -> dict[str, str]:
    return {"namespace": dest, "resourceName": name, "group": "apps", "kind": "Deployment", "version": "v1"}


def _template_annotations(cp: ControlPlane, dest: str, name: str) -> dict[str, str]:
    out = cp.cluster.kubectl("get", "deployment", name, "-n", dest, "-o", "json").stdout
    return dict(json.loads(out)["spec"]["template"]["metadata"].get("annotations") or {})


def test_list_and_restart_a_deployment_of_the_app(
    api: httpx.Client,
    admin: dict[str, str],
    control_plane: ControlPlane,
    app_with_deployments: tuple[str, str],
) -> None:
    name, dest = app_with_deployments
    listed = api.get(
        f"/api/v1/applications/{name}/resource/actions", params=_query(dest, "web"), headers=admin
    )
    assert listed.status_code == 200, listed.text
    actions = {a["name"]: a["disabled"] for a in listed.json()["actions"]}
    assert actions == {"pause": False, "restart": False, "resume": True}

    resp = api.post(
        f"/api/v1/applications/{name}/resource/actions",
        params=_query(dest, "web"),
        content=json.dumps("restart"),
        headers={**admin, "Content-Type": "application/json"},
    )
    assert resp.status_code == 200, resp.text
    stamp = _template_annotations(control_plane, dest, "web")["kubectl.kubernetes.io/restartedAt"]
    assert stamp.endswith("Z") and len(stamp) == len("2026-12-02T21:30:05Z")

    v2 = api.post(
        f"/api/v1/applications/{name}/resource/actions/v2",
        json={**_query(dest, "web"), "action": "pause"},
        headers=admin,
    )
    assert v2.status_code == 200, v2.text
    live = json.loads(
        control_plane.cluster.kubectl("get", "deployment", "web", "-n", dest, "-o", "json").stdout
    )
    assert live["spec"]["paused"] is True
    refused = api.post(
        f"/api/v1/applications/{name}/resource/actions/v2",
        json={**_query(dest, "web"), "action": "pause"},
        headers=admin,
    )
    assert_error(refused, 400, 3, "pause", "disabled")


def test_running_an_action_needs_the_action_permission(
    api: httpx.Client,
    admin: dict[str, str],
    control_plane: ControlPlane,
    app_with_deployments: tuple[str, str],
    login: Callable[[str, str], str],
    set_password: Callable[[str, str], None],
) -> None:
    name, dest = app_with_deployments
    set_password("michele", PASSWORD)  # role:guest: applications, get only
    guest = bearer(login("michele", PASSWORD))
    listed = api.get(
        f"/api/v1/applications/{name}/resource/actions", params=_query(dest, "web"), headers=guest
    )
    assert listed.status_code == 200, listed.text
    denied = api.post(
        f"/api/v1/applications/{name}/resource/actions/v2",
        json={**_query(dest, "web"), "action": "restart"},
        headers=guest,
    )
    assert_error(denied, 403, 7, "applications", "action/apps/Deployment/restart")
    can_i = "/api/v1/account/can-i/applications/action%2Fapps%2FDeployment%2Frestart/default/" + name
    assert api.get(can_i, headers=guest).json() == {"value": "no"}
    assert api.get(can_i, headers=admin).json() == {"value": "yes"}


def test_objects_the_app_does_not_own_are_refused(
    api: httpx.Client,
    admin: dict[str, str],
    control_plane: ControlPlane,
    app_with_deployments: tuple[str, str],
) -> None:
    name, dest = app_with_deployments
    for other, why in (("other", "not part of application"), ("stray", "tracked by another app")):
        resp = api.post(
            f"/api/v1/applications/{name}/resource/actions/v2",
            json={**_query(dest, other), "action": "restart"},
            headers=admin,
        )
        assert_error(resp, 404, 5, f"Deployment {dest}/{other}", why)
        assert "kubectl.kubernetes.io/restartedAt" not in _template_annotations(control_plane, dest, other)
