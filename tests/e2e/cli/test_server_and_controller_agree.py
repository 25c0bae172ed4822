"""The server's managed resources equal the controller's ``status.resources`` for the same app.

Both come from one pipeline (:class:`argosy.appstate.pipeline.AppState`), so
global ``resource.exclusions``, an app's own exclusions and its project's
restrictions weigh the same in ``argosy app diff`` (through the server and
with ``--core``) as in the controller's status. Before, the server compared
without exclusions and project checks.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import yaml
from cli_support import Env

from argosy.cli.client import core_backend
from support.controller import sync_status
from support.gitrepo import GitRepo

EXCLUSIONS = "- apiGroups: [policy]\n  kinds: [PodDisruptionBudget]\n  clusters: ['*']\n"
PDB = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "web"},
    "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}},
}


def _cm(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": name}}


def _keys(items: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    return sorted(
        (i.get("group") or "", i["kind"], i.get("namespace") or "", i["name"], i["status"]) for i in items
    )


def _server_items(env: Env) -> list[dict[str, Any]]:
    with httpx.Client(base_url=env.server.url, timeout=60) as api:
        login = {"username": "admin", "password": env.admin_password}
        token = api.post("/api/v1/session", json=login).json()["token"]
        resp = api.get(
            "/api/v1/applications/agree/managed-resources", headers={"Authorization": f"Bearer {token}"}
        )
        assert resp.status_code == 200, resp.text
        return list(resp.json()["items"])


def _core_items(env: Env) -> list[dict[str, Any]]:
    backend = core_backend(kubeconfig=str(env.cluster.kubeconfig), namespace=env.namespace)
    try:
        return backend.managed_resources("agree")
    finally:
        backend.close()


def test_managed_resources_match_status_with_exclusions_and_project_rules(env: Env, tmp_path: Any) -> None:
    repo = GitRepo(tmp_path / "agree.git")
    repo.commit(
        {"app/all.yaml": yaml.safe_dump_all([_cm("kept"), _cm("drifting"), _cm("app-excluded"), PDB])}
    )
    cm = json.loads(env.cluster.kubectl("get", "cm", "argocd-cm", "-n", env.namespace, "-o", "json").stdout)
    env.ctl.set_argocd_cm({**cm.get("data", {}), "resource.exclusions": EXCLUSIONS})
    dest = f"{env.namespace}-agree"
    app_exclusions = "- apiGroups: ['']\n  kinds: [ConfigMap]\n  names: [app-excluded]\n"
    env.ctl.apply_app(
        "agree",
        {
            "project": "default",
            "source": {"repoURL": f"file://{repo.bare}", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
        },
        annotations={"argosy.io/resource-exclusions": app_exclusions},
    )
    env.cli.run("app", "sync", "agree", "--timeout", "120")
    env.cluster.kubectl(
        "patch", "cm", "drifting", "-n", dest, "--type=merge", "-p", '{"data":{"k":"changed"}}'
    )
    app = env.ctl.wait_app("agree", lambda a: sync_status(a) == "OutOfSync", "drift seen by the controller")

    status = [r for r in app["status"]["resources"] if not r.get("hook")]
    assert {r["name"] for r in status} == {"kept", "drifting"}  # both exclusions applied
    assert _keys(_server_items(env)) == _keys(status) == _keys(_core_items(env))

    # A project that denies ConfigMaps: the controller refuses to compare, and so does the server.
    env.cli.run("proj", "create", "no-configmaps", "-d", f"https://kubernetes.default.svc,{dest}", "-s", "*")
    env.cluster.kubectl(
        "patch", "appproject", "no-configmaps", "-n", env.namespace, "--type=merge",
        "-p", json.dumps({"spec": {"namespaceResourceBlacklist": [{"group": "", "kind": "ConfigMap"}]}}),
    )  # fmt: skip
    env.cluster.kubectl(
        "patch", "application", "agree", "-n", env.namespace, "--type=merge",
        "-p", '{"spec":{"project":"no-configmaps"}}',
    )  # fmt: skip
    app = env.ctl.wait_app(
        "agree",
        lambda a: any(c["type"] == "InvalidSpecError" for c in a["status"].get("conditions") or []),
        "the project refuses the ConfigMaps",
    )
    refusal = next(c["message"] for c in app["status"]["conditions"] if c["type"] == "InvalidSpecError")
    for run in (env.cli.run, env.core):
        denied = run("app", "diff", "agree", code=20)
        assert refusal in denied.stderr, denied.stderr
