"""Manual and automated syncs through the controller."""

from __future__ import annotations

import json
import time
from typing import Any

from support.cluster import ClusterHandle
from support.controller import RunningController, health_status, operation_phase, resource, sync_status
from support.gitrepo import GitRepo

CHART = {
    "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    "chart/values.yaml": "replicas: 2\nimage: registry.example/web:1.0\n",
    "chart/templates/deploy.yaml": """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels: {app: {{ .Release.Name }}}
  template:
    metadata:
      labels: {app: {{ .Release.Name }}}
    spec:
      containers:
        - name: web
          image: {{ .Values.image }}
""",
    "chart/templates/cm.yaml": """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
data:
  greeting: hello
""",
}


def _sync(ctl: RunningController, name: str, **sync: Any) -> None:
    body = {"operation": {"initiatedBy": {"username": "test"}, "sync": {"revision": "", **sync}}}
    ctl.cluster.kubectl(
        "patch", "application", name, "-n", ctl.namespace, "--type=merge", "-p", json.dumps(body)
    )


def test_helm_app_with_create_namespace_syncs_to_synced_healthy(
    cluster: ClusterHandle, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    git_repo.commit(CHART)
    ctl = controller_factory().start()
    dest_ns = f"{ctl.namespace}-web"
    ctl.apply_app(
        "web",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "chart", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest_ns},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
        },
    )
    app = ctl.wait_app("web", lambda a: sync_status(a) == "OutOfSync", "OutOfSync before the first sync")
    assert resource(app, "Deployment", "web-web")["health"]["status"] == "Missing"
    assert health_status(app) == "Missing"
    _sync(ctl, "web")
    app = ctl.wait_app(
        "web", lambda a: operation_phase(a) in ("Succeeded", "Failed", "Error"), "sync finished", 120
    )
    assert operation_phase(app) == "Succeeded", app["status"]["operationState"]
    app = ctl.wait_app(
        "web",
        lambda a: sync_status(a) == "Synced" and health_status(a) == "Healthy",
        "Synced and Healthy",
        90,
    )
    assert app["status"]["sourceType"] == "Helm"
    assert app["status"]["history"][0]["revision"] == git_repo.sha()
    assert "operation" not in app
    cluster.kubectl("get", "namespace", dest_ns)
    # kubectl describe shows the app's transitions as Argo CD's do (ResourceUpdated, one per change);
    # the Event is written just after the status it reports, so wait for it.
    wanted = ("Updated sync status: OutOfSync -> Synced", "Updated health status: Missing -> ", "-> Healthy")
    deadline, messages = time.monotonic() + 15, ""
    while time.monotonic() < deadline and not all(w in messages for w in wanted):
        time.sleep(0.2)
        messages = cluster.kubectl(
            "get", "events", "-n", ctl.namespace,
            "--field-selector", "involvedObject.name=web,reason=ResourceUpdated",
            "-o", "jsonpath={.items[*].message}",
        ).stdout  # fmt: skip
    assert all(w in messages for w in wanted), messages


def test_automated_sync_prune_and_self_heal(
    cluster: ClusterHandle, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    git_repo.commit(CHART)
    ctl = controller_factory().start(argocd_cm={"controller.self.heal.timeout.seconds": "1"})
    dest_ns = f"{ctl.namespace}-auto"
    ctl.apply_app(
        "auto",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "chart"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": dest_ns},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    )
    ctl.wait_app(
        "auto", lambda a: sync_status(a) == "Synced" and health_status(a) == "Healthy", "auto-synced", 120
    )

    # A new commit is applied with no action.
    git_repo.commit({"chart/values.yaml": "replicas: 3\nimage: registry.example/web:2.0\n"})
    ctl.apply_app(
        "auto",
        ctl.app("auto")["spec"],
        annotations={"argocd.argoproj.io/refresh": "normal"},
    )
    ctl.wait_app(
        "auto",
        lambda a: (
            "registry.example/web:2.0" in (a["status"].get("summary") or {}).get("images", [])
            and sync_status(a) == "Synced"
        ),
        "new commit applied",
        120,
    )
    deploy = json.loads(cluster.kubectl("get", "deployment", "auto-web", "-n", dest_ns, "-o", "json").stdout)
    assert deploy["spec"]["template"]["spec"]["containers"][0]["image"] == "registry.example/web:2.0"

    # Self-heal reverts a manual scale long before the 180 s periodic reconciliation would.
    cluster.kubectl("scale", "deployment/auto-web", "-n", dest_ns, "--replicas=7")
    started = time.monotonic()
    while True:
        replicas = json.loads(
            cluster.kubectl("get", "deployment", "auto-web", "-n", dest_ns, "-o", "json").stdout
        )["spec"]["replicas"]
        if replicas == 3:
            break
        assert time.monotonic() - started < 60, "self-heal did not revert the scale in time"
        time.sleep(0.1)

    # A file deleted in Git has its objects pruned.
    git_repo.commit({"chart/templates/cm.yaml": None})
    ctl.apply_app("auto", ctl.app("auto")["spec"], annotations={"argocd.argoproj.io/refresh": "normal"})

    def pruned() -> bool:
        return cluster.kubectl("get", "configmap", "auto-config", "-n", dest_ns, check=False).returncode != 0

    deadline = time.monotonic() + 90
    while not pruned():
        assert time.monotonic() < deadline, "the ConfigMap removed from Git was not pruned"
        time.sleep(0.2)
