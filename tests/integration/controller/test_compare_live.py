"""Compare on the real cluster: no false drift, watch-driven OutOfSync, ignores, exclusions."""

from __future__ import annotations

import time
import uuid

import yaml

from argosy.appstate.settings import DEFAULT_RECONCILIATION_SECONDS
from support.cluster import ClusterHandle
from support.controller import RunningController, resource, sync_status
from support.gitrepo import GitRepo

CRD_GROUP = "argosy-test.io"
# A live change must reach status through the watch: well inside the periodic refresh
# (180 s), with room for a loaded CI machine. Its speed is measured by a benchmark.
WATCH_BOUND_SECONDS = DEFAULT_RECONCILIATION_SECONDS / 6


def manifests(ns: str) -> dict[str, str]:
    labels = {"app.kubernetes.io/instance": "guestbook"}
    objects = {
        "deploy.yaml": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web", "namespace": ns, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {
                        "containers": [
                            {
                                "name": "web",
                                "image": "registry.example/web:1.0",
                                "ports": [{"containerPort": 8080}],
                                "resources": {"limits": {"cpu": "1000m", "memory": "1Gi"}},
                            }
                        ]
                    },
                },
            },
        },
        "svc.yaml": {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": "web", "namespace": ns, "labels": labels},
            "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]},
        },
        "cm.yaml": {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "web-config", "namespace": ns, "labels": labels},
            "data": {"mode": "blue"},
        },
        "crd.yaml": {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": f"gadgets.{CRD_GROUP}", "labels": labels},
            "spec": {
                "group": CRD_GROUP,
                "scope": "Namespaced",
                "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "schema": {
                            "openAPIV3Schema": {
                                "type": "object",
                                "properties": {
                                    "spec": {
                                        "type": "object",
                                        "properties": {
                                            "size": {"type": "integer", "default": 1},
                                            "color": {"type": "string"},
                                        },
                                    }
                                },
                            }
                        },
                    }
                ],
            },
        },
        "gadget.yaml": {
            "apiVersion": f"{CRD_GROUP}/v1",
            "kind": "Gadget",
            "metadata": {"name": "g1", "namespace": ns, "labels": labels},
            "spec": {"color": "teal"},
        },
        "quota.yaml": {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "excluded-quota", "namespace": ns},
            "spec": {"hard": {"pods": "50"}},
        },
    }
    return {f"app/{name}": yaml.safe_dump(obj) for name, obj in objects.items()}


def test_kubectl_applied_objects_are_synced_and_drift_shows_through_the_watch(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    files = manifests(namespace)
    git_repo.commit(files)
    for name, text in files.items():
        if "quota" in name:
            continue
        if "gadget.yaml" in name:
            cluster.kubectl(
                "wait", "--for=condition=Established", f"crd/gadgets.{CRD_GROUP}", "--timeout=60s"
            )
        cluster.kubectl("apply", "-f", "-", stdin=text)

    ctl = controller_factory().start(
        # The objects were applied with kubectl as a previous sync would have left them:
        # no installation id, so this controller must not require one.
        argocd_cm={
            "installationID": "",
            "resource.exclusions": "- apiGroups: ['']\n  kinds: [ResourceQuota]\n  clusters: ['*']\n",
        }
    )
    ctl.apply_app(
        "guestbook",
        {
            "project": "default",
            "source": {"repoURL": f"file://{git_repo.bare}", "path": "app", "targetRevision": "HEAD"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
            "ignoreDifferences": [
                {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}
            ],
        },
    )
    app = ctl.wait_app("guestbook", lambda a: sync_status(a) == "Synced", "Synced")
    resources = app["status"]["resources"]
    kinds = sorted(r["kind"] for r in resources)
    assert kinds == ["ConfigMap", "CustomResourceDefinition", "Deployment", "Gadget", "Service"]
    assert all(r["status"] == "Synced" and "diff" not in r for r in resources), resources
    # The comparison was server-side (dry-run apply), the default.
    assert ctl.controller is not None and ctl.controller.server_side_dry_runs() >= 5
    # The excluded kind never appears, and the app says why.
    conditions = {c["type"]: c["message"] for c in app["status"].get("conditions") or []}
    assert (
        "ExcludedResourceWarning" in conditions and "excluded-quota" in conditions["ExcludedResourceWarning"]
    )

    # An ignored field changes: no drift. Then a real change: drift, seen through the watch.
    cluster.kubectl("scale", "deployment/web", "-n", namespace, "--replicas=3")
    started = time.monotonic()
    cluster.kubectl("patch", "configmap", "web-config", "-n", namespace, "-p", '{"data":{"mode":"green"}}')
    app = ctl.wait_app(
        "guestbook",
        lambda a: resource(a, "ConfigMap", "web-config")["status"] == "OutOfSync",
        "drift",
        WATCH_BOUND_SECONDS,
    )
    # Seen through the watch, not the periodic refresh (its speed: bench/bench_drift_latency.py).
    latency = time.monotonic() - started
    assert latency < WATCH_BOUND_SECONDS, f"drift took {latency:.2f}s to reach status"
    assert resource(app, "ConfigMap", "web-config")["diff"] == ["/data/mode"]
    assert resource(app, "Deployment", "web")["status"] == "Synced"
    assert sync_status(app) == "OutOfSync"

    # Drift on a custom object is seen too.
    cluster.kubectl(
        "patch",
        f"gadgets.{CRD_GROUP}",
        "g1",
        "-n",
        namespace,
        "--type=merge",
        "-p",
        '{"spec":{"color":"red"}}',
    )
    ctl.wait_app(
        "guestbook",
        lambda a: resource(a, "Gadget", "g1")["status"] == "OutOfSync",
        "gadget drift",
        WATCH_BOUND_SECONDS,
    )


def test_render_failure_keeps_resources_and_reports_comparison_error(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    git_repo.commit(
        {"app/cm.yaml": yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}})}
    )
    ctl = controller_factory().start()
    name = f"broken-{uuid.uuid4().hex[:4]}"
    spec = {
        "project": "default",
        "source": {"repoURL": f"file://{git_repo.bare}", "path": "app", "targetRevision": "HEAD"},
        "destination": {"server": "https://kubernetes.default.svc", "namespace": namespace},
    }
    ctl.apply_app(name, spec)
    ctl.wait_app(name, lambda a: sync_status(a) == "OutOfSync", "OutOfSync (ConfigMap missing)")
    git_repo.commit({"app/cm.yaml": "kind: ConfigMap\nmetadata: {name: c\n"})  # malformed YAML
    ctl.apply_app(name, spec, annotations={"argocd.argoproj.io/refresh": "hard"})
    app = ctl.wait_app(name, lambda a: sync_status(a) == "Unknown", "Unknown after a failed render")
    messages = [c["message"] for c in app["status"]["conditions"] if c["type"] == "ComparisonError"]
    assert messages and "cm.yaml" in messages[0]
    assert [r["name"] for r in app["status"]["resources"]] == ["c"], "previous resources must be kept"
