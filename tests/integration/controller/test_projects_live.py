"""Projects on the real cluster (the seed's time-coffee), apps in other namespaces,
and per-Application exclusions."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, sync_status
from support.gitrepo import GitRepo


def _conditions(app: dict[str, Any]) -> dict[str, str]:
    return {c["type"]: c["message"] for c in (app.get("status") or {}).get("conditions") or []}


def test_time_coffee_project_rules(
    cluster: ClusterHandle, namespace: str, tmp_path: Path, controller_factory: type[RunningController]
) -> None:
    role = f"pirate-{uuid.uuid4().hex[:6]}"
    repos = [GitRepo(tmp_path / f"{n}.git") for n in ("coffee", "tea", "rum")]
    pirate = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": role},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
    }
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "menu"}, "data": {"espresso": "yes"}}
    for repo in repos:
        repo.commit({"app/role.yaml": yaml.safe_dump(pirate), "app/cm.yaml": yaml.safe_dump(cm)})
    ctl = controller_factory().start()
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "time-coffee", "namespace": ctl.namespace},
        "spec": {
            "sourceRepos": [f"file://{repos[0].bare}", f"file://{repos[1].bare}"],
            "destinations": [{"server": "https://kubernetes.default.svc", "namespace": namespace}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(project))

    def spec(repo: GitRepo, dest_ns: str = namespace) -> dict[str, Any]:
        return {
            "project": "time-coffee",
            "source": {"repoURL": f"file://{repo.bare}", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest_ns},
            "syncPolicy": {"automated": {"prune": True}},
        }

    # A third repository and a foreign destination are refused, naming the rule.
    ctl.apply_app("rum", spec(repos[2]))
    rum = ctl.wait_app("rum", lambda a: "InvalidSpecError" in _conditions(a), "InvalidSpecError for the repo")
    assert (
        "sourceRepos" in _conditions(rum)["InvalidSpecError"]
        or "not permitted" in _conditions(rum)["InvalidSpecError"]
    )
    ctl.apply_app("elsewhere", spec(repos[0], "kube-system"))
    ctl.wait_app(
        "elsewhere", lambda a: "InvalidSpecError" in _conditions(a), "InvalidSpecError for the destination"
    )

    # With the whitelist, the ClusterRole from Git is applied.
    ctl.apply_app("coffee", spec(repos[0]))
    ctl.wait_app("coffee", lambda a: sync_status(a) == "Synced", "coffee synced", 90)
    assert cluster.kubectl("get", "clusterrole", role).returncode == 0

    # Without it, the same app reports InvalidSpecError and the ClusterRole is not re-created.
    patch = {"spec": {"clusterResourceWhitelist": None}}
    cluster.kubectl(
        "patch", "appproject", "time-coffee", "-n", ctl.namespace, "--type=merge", "-p", json.dumps(patch)
    )
    app = ctl.wait_app(
        "coffee", lambda a: "InvalidSpecError" in _conditions(a), "InvalidSpecError after the change"
    )
    assert "ClusterRole" in _conditions(app)["InvalidSpecError"]
    cluster.kubectl("delete", "clusterrole", role)
    ctl.refresh("coffee")
    app = ctl.refresh("coffee")
    assert "InvalidSpecError" in _conditions(app)
    assert cluster.kubectl("get", "clusterrole", role, check=False).returncode != 0, (
        "re-created despite the project"
    )


def test_apps_in_listed_namespaces_and_per_app_exclusions(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    cms = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n}, "data": {"k": "v"}}
        for n in ("kept", "skip-generated")
    ]
    git_repo.commit({"app/cms.yaml": yaml.safe_dump_all(cms)})
    ctl = controller_factory()
    team_ns, other_ns = f"{ctl.namespace}-team", f"{ctl.namespace}-other"
    for ns in (team_ns, other_ns):
        cluster.kubectl("create", "namespace", ns)
    ctl.start()
    params = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "argocd-cmd-params-cm", "namespace": ctl.namespace},
        "data": {"application.namespaces": f"{ctl.namespace}-te*"},
    }
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(params))
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "teams", "namespace": ctl.namespace},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "sourceNamespaces": [team_ns, other_ns],
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(project))
    spec = {
        "project": "teams",
        "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
    }
    exclusions = "- apiGroups: ['']\n  kinds: [ConfigMap]\n  names: ['*-generated']\n"
    for ns in (team_ns, other_ns):
        app = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {
                "name": "team-app",
                "namespace": ns,
                "annotations": {"argosy.io/resource-exclusions": exclusions},
            },
            "spec": spec,
        }
        cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(app))

    def get(ns: str) -> dict[str, Any]:
        out = cluster.kubectl("get", "application", "team-app", "-n", ns, "-o", "json").stdout
        return json.loads(out)  # type: ignore[no-any-return]

    deadline = time.monotonic() + 60
    while sync_status(get(team_ns)) != "OutOfSync":
        assert time.monotonic() < deadline, f"app in {team_ns} not reconciled: {get(team_ns).get('status')}"
        time.sleep(0.2)
    app = get(team_ns)
    assert [r["name"] for r in app["status"]["resources"]] == ["kept"], (
        "the excluded object must not be compared"
    )
    assert "skip-generated" in _conditions(app)["ExcludedResourceWarning"]
    # A namespace that application.namespaces does not list is left alone.
    assert "status" not in get(other_ns)


def test_orphaned_resources_warning(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "managed"}, "data": {"k": "v"}}
    git_repo.commit({"app/cm.yaml": yaml.safe_dump(cm)})
    cluster.kubectl("create", "configmap", "stray", "-n", namespace, "--from-literal=k=v")
    cluster.kubectl("create", "secret", "generic", "ignored-secret", "-n", namespace, "--from-literal=k=v")
    ctl = controller_factory().start()
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "tidy", "namespace": ctl.namespace},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "orphanedResources": {"warn": True, "ignore": [{"kind": "Secret"}]},
        },
    }
    cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(project))
    ctl.apply_app(
        "tidy",
        {
            "project": "tidy",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "syncPolicy": {"automated": {}},
        },
    )
    # The default ServiceAccount, kube-root-ca.crt and the ignored Secret are not orphans; "stray" is.
    app = ctl.wait_app("tidy", lambda a: sync_status(a) == "Synced", "synced")
    app = ctl.wait_app("tidy", lambda a: "OrphanedResourceWarning" in _conditions(a), "orphan warning")
    assert _conditions(app)["OrphanedResourceWarning"] == "Application has 1 orphaned resources"
    cluster.kubectl("delete", "configmap", "stray", "-n", namespace)
    ctl.refresh("tidy")
    ctl.wait_app("tidy", lambda a: "OrphanedResourceWarning" not in _conditions(a), "warning gone")
