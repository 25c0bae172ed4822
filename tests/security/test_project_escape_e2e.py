"""The tutorial's attack, end to end: a developer pushes a ClusterRole to the Git repository of an
automated Application whose project has no cluster-resource whitelist.

A real controller follows a real Git server. After the push the application must report an
InvalidSpecError naming the ClusterRole and the project, nothing of the commit may reach the
cluster (neither the ClusterRole nor hooks of a forbidden kind or namespace), and what was
synced before stays.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, sync_status
from support.git_server import GitHttpServer
from support.gitrepo import git


def _conditions(app: dict[str, Any]) -> dict[str, str]:
    return {c["type"]: c["message"] for c in (app.get("status") or {}).get("conditions") or []}


def test_a_pushed_cluster_role_is_refused_and_never_created(
    cluster: ClusterHandle, namespace: str, git_server: GitHttpServer, tmp_path: Path
) -> None:
    suffix = uuid.uuid4().hex[:8]
    role, binding, planted = f"escalate-{suffix}", f"escalate-{suffix}", f"planted-{suffix}"
    repo_name = f"team-{suffix}"
    repo = git_server.create_repo(repo_name)
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"}, "data": {"k": "v"}}
    repo.commit({"app/cm.yaml": yaml.safe_dump(cm)}, "the team's app")
    ctl = RunningController(cluster, tmp_path / "repo-cache").start({"timeout.reconciliation": "2s"})
    try:
        project = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "team", "namespace": ctl.namespace},
            "spec": {
                "sourceRepos": [git_server.url(repo_name)],
                "destinations": [{"server": "https://kubernetes.default.svc", "namespace": namespace}],
            },
        }
        cluster.kubectl("apply", "-f", "-", stdin=yaml.safe_dump(project))
        ctl.apply_app(
            "team-app",
            {
                "project": "team",
                "source": {"repoURL": git_server.url(repo_name), "path": "app", "targetRevision": "main"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
                "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
            },
        )
        ctl.wait_app("team-app", lambda a: sync_status(a) == "Synced", "first sync", 90)

        # The developer's push: a ClusterRole granting everything, a PreSync hook binding it,
        # and a hook planting a ConfigMap in kube-system.
        cluster_role = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": role},
            "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}],
        }
        hook = {"argocd.argoproj.io/hook": "PreSync"}
        role_binding = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": binding, "annotations": hook},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": namespace}],
        }
        foreign = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": planted, "namespace": "kube-system", "annotations": hook},
        }
        pushed = {
            "app/role.yaml": yaml.safe_dump(cluster_role),
            "app/hooks.yaml": yaml.safe_dump_all([role_binding, foreign]),
            "app/cm.yaml": yaml.safe_dump({**cm, "data": {"k": "changed"}}),
        }
        for rel, text in pushed.items():
            (repo.work / rel).write_text(text)
        git("add", "-A", cwd=repo.work)
        git("commit", "-q", "-m", "make it cluster-wide", cwd=repo.work)
        git("push", "-q", git_server.url(repo_name), "main", cwd=repo.work)  # over HTTP, as a developer
        assert git("rev-parse", "main", cwd=repo.bare).strip() == repo.sha().strip()  # the server has it
        app = ctl.wait_app(
            "team-app",
            lambda a: role in _conditions(a).get("InvalidSpecError", ""),
            "InvalidSpecError naming the ClusterRole",
            90,
        )
        message = _conditions(app)["InvalidSpecError"]
        assert f"ClusterRole '{role}'" in message and "project 'team'" in message, message
        assert "clusterResourceWhitelist" in message, message
        assert f"ClusterRoleBinding '{binding}'" in message, message  # the hook's kind
        assert f"ConfigMap '{planted}'" in message and "kube-system" in message, message  # its namespace
        ctl.refresh("team-app")  # one more reconcile after the refusal: still nothing applied
        for kind, name, ns in (
            ("clusterrole", role, ""),
            ("clusterrolebinding", binding, ""),
            ("configmap", planted, "kube-system"),
        ):
            args = ("get", kind, name, *(("-n", ns) if ns else ()))
            assert cluster.kubectl(*args, check=False).returncode != 0, f"{kind} {name} was created"
        # What was synced before the push is neither pruned nor changed by the refused commit.
        live = yaml.safe_load(
            cluster.kubectl("get", "configmap", "settings", "-n", namespace, "-o", "yaml").stdout
        )
        assert live["data"] == {"k": "v"}
        assert "operationState" not in (app.get("status") or {}) or (
            app["status"]["operationState"].get("syncResult", {}).get("revision") != repo.sha()
        )
    finally:
        ctl.stop()
