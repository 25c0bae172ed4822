"""Deleting, pruning, replacing and hook clean-up never touch another app's (or nobody's) objects.

On the real cluster, two Applications render overlapping manifests (same
kinds, names and namespaces): one synced and owning them, one never synced.
Whatever the second does — cascade deletion, prune, ``Replace=true``,
``Force=true``, a hook named like the first app's object, an app of apps —
the first app's objects keep their UID and resourceVersion, an untracked
object at the same key survives, and the first app stays Synced.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from support.cluster import ClusterHandle
from support.controller import RunningController, operation_state, sync_status
from support.gitrepo import GitRepo

Obj = dict[str, Any]
IN_CLUSTER = "https://kubernetes.default.svc"
FINALIZER = "resources-finalizer.argocd.argoproj.io"


def deployment(name: str) -> Obj:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "main", "image": "example.invalid/app:v1"}]},
            },
        },
    }


def configmap(name: str, **annotations: str) -> Obj:
    meta: Obj = {"name": name}
    if annotations:
        meta["annotations"] = annotations
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}}


def docs(*objs: Obj) -> str:
    return yaml.safe_dump_all(objs)


def identity(cluster: ClusterHandle, kind: str, name: str, namespace: str | None) -> tuple[str, str]:
    args = ["get", kind, name, "-o", "json"] + (["-n", namespace] if namespace else [])
    meta = json.loads(cluster.kubectl(*args).stdout)["metadata"]
    return meta["uid"], meta["resourceVersion"]


def spec(repo: GitRepo, path: str, namespace: str, **policy: Any) -> Obj:
    out: Obj = {
        "project": "default",
        "source": {"repoURL": f"file://{repo.bare}", "path": path},
        "destination": {"server": IN_CLUSTER, "namespace": namespace},
    }
    if policy:
        out["syncPolicy"] = policy
    return out


def conditions(app: Obj) -> list[str]:
    return [c["type"] for c in (app.get("status") or {}).get("conditions") or []]


def sync(cluster: ClusterHandle, ctl: RunningController, name: str, **sync_fields: Any) -> Obj:
    body = {"operation": {"initiatedBy": {"username": "tester"}, "sync": {"revision": "", **sync_fields}}}
    cluster.kubectl("patch", "application", name, "-n", ctl.namespace, "--type=merge", "-p", json.dumps(body))
    return ctl.wait_app(
        name,
        lambda a: (
            operation_state(a).get("phase") in ("Succeeded", "Failed", "Error") and not a.get("operation")
        ),
        f"sync of {name} finished",
        120,
    )


def events(cluster: ClusterHandle, namespace: str, app: str, reason: str) -> list[str]:
    out = cluster.kubectl(
        "get",
        "events",
        "-n",
        namespace,
        "--field-selector",
        f"involvedObject.name={app},reason={reason}",
        "-o",
        "json",
    ).stdout
    return [e["message"] for e in json.loads(out)["items"]]


def delete_app(cluster: ClusterHandle, ctl: RunningController, name: str) -> None:
    cluster.kubectl("delete", "application", name, "-n", ctl.namespace, "--wait=true", "--timeout=120s")


def test_cascade_deletion_of_a_never_synced_app_keeps_the_owner_s_objects(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    """The issue's report: deleting never-synced probe-micro deleted child-micro's Deployments."""
    git_repo.commit(
        {
            "micro/app.yaml": docs(deployment("backend"), deployment("frontend")),
            "probe/app.yaml": docs(deployment("backend"), deployment("frontend"), configmap("loose")),
        }
    )
    ctl = controller_factory().start()
    ctl.apply_app("child-micro", spec(git_repo, "micro", namespace, automated={"selfHeal": True}))
    ctl.wait_app("child-micro", lambda a: sync_status(a) == "Synced", "child-micro synced", 120)
    # An object nobody tracks, at a key the never-synced app renders.
    cluster.kubectl("apply", "-n", namespace, "-f", "-", stdin=docs(configmap("loose")))
    ctl.apply_app("probe-micro", spec(git_repo, "probe", namespace), finalizers=[FINALIZER])
    ctl.wait_app("probe-micro", lambda a: "SharedResourceWarning" in conditions(a), "shared warning", 60)
    before = {
        n: identity(cluster, k, n, namespace)
        for k, n in [("deployment", "backend"), ("deployment", "frontend"), ("configmap", "loose")]
    }

    delete_app(cluster, ctl, "probe-micro")

    after = {
        n: identity(cluster, k, n, namespace)
        for k, n in [("deployment", "backend"), ("deployment", "frontend"), ("configmap", "loose")]
    }
    assert after == before
    skipped = events(cluster, ctl.namespace, "probe-micro", "DeletionSkipped")
    assert any("Deployment.apps" in m and "child-micro" in m for m in skipped), skipped
    assert any("loose" in m for m in skipped), skipped
    child = ctl.refresh("child-micro")
    assert child is not None and sync_status(child) == "Synced"


def test_cascade_deletion_deletes_what_the_app_tracks_even_when_its_source_is_broken(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    git_repo.commit({"solo/app.yaml": docs(configmap("solo-a"), configmap("solo-b"))})
    ctl = controller_factory().start()
    ctl.apply_app("solo", spec(git_repo, "solo", namespace, automated={}), finalizers=[FINALIZER])
    ctl.wait_app("solo", lambda a: sync_status(a) == "Synced", "solo synced", 120)
    patch = {"spec": {"source": {"path": "no-such-path"}}}
    cluster.kubectl(
        "patch", "application", "solo", "-n", ctl.namespace, "--type=merge", "-p", json.dumps(patch)
    )
    ctl.wait_app("solo", lambda a: "ComparisonError" in conditions(a), "render fails", 60)

    delete_app(cluster, ctl, "solo")

    left = cluster.kubectl("get", "configmap", "-n", namespace, "-o", "name").stdout.split()
    assert "configmap/solo-a" not in left and "configmap/solo-b" not in left
    assert len(events(cluster, ctl.namespace, "solo", "ResourceDeleted")) == 2


def test_prune_replace_force_and_hooks_of_the_other_app_leave_the_owner_s_objects_alone(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    hook = {"argocd.argoproj.io/hook": "PreSync"}
    git_repo.commit(
        {
            "owner/app.yaml": docs(configmap("shared-a"), configmap("shared-b"), configmap("migrate")),
            # The intruder: replaces shared-a, force-applies shared-b, runs a hook named "migrate".
            "replace/app.yaml": docs(
                configmap("shared-a", **{"argocd.argoproj.io/sync-options": "Replace=true"})
            ),
            "force/app.yaml": docs(
                configmap("shared-b", **{"argocd.argoproj.io/sync-options": "Force=true"})
            ),
            "hook/app.yaml": docs(configmap("migrate", **hook)),
            "own/app.yaml": docs(configmap("intruder-own")),
            "prune/app.yaml": docs(configmap("intruder-other")),
        }
    )
    ctl = controller_factory().start()
    ctl.apply_app("owner", spec(git_repo, "owner", namespace, automated={}))
    ctl.wait_app("owner", lambda a: sync_status(a) == "Synced", "owner synced", 120)
    keys = [("configmap", n) for n in ("shared-a", "shared-b", "migrate")]
    before = {n: identity(cluster, k, n, namespace) for k, n in keys}

    ctl.apply_app("intruder", spec(git_repo, "replace", namespace))
    done = sync(cluster, ctl, "intruder")
    assert done["status"]["operationState"]["phase"] == "Failed"
    assert "Replace=true would overwrite ConfigMap" in json.dumps(done["status"]["operationState"])

    ctl.apply_app("intruder", spec(git_repo, "force", namespace))
    done = sync(cluster, ctl, "intruder")
    assert "Force=true would delete and re-create" in json.dumps(done["status"]["operationState"])

    ctl.apply_app("intruder", spec(git_repo, "hook", namespace))
    done = sync(cluster, ctl, "intruder")
    assert "hook cannot replace the existing ConfigMap" in json.dumps(done["status"]["operationState"])

    # The intruder owns one object of its own; a sync with prune of a render without it
    # deletes exactly that one, and none of the owner's objects.
    ctl.apply_app("intruder", spec(git_repo, "own", namespace))
    sync(cluster, ctl, "intruder")
    ctl.apply_app("intruder", spec(git_repo, "prune", namespace))
    done = sync(cluster, ctl, "intruder", prune=True)
    assert done["status"]["operationState"]["phase"] == "Succeeded"
    left = cluster.kubectl("get", "configmap", "-n", namespace, "-o", "name").stdout.split()
    assert "configmap/intruder-own" not in left and "configmap/intruder-other" in left

    assert {n: identity(cluster, k, n, namespace) for k, n in keys} == before
    owner = ctl.refresh("owner")
    assert owner is not None and sync_status(owner) == "Synced"


def test_app_of_apps_deletion_keeps_a_child_application_another_parent_owns(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    ctl = controller_factory().start()
    child = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "kid", "namespace": ctl.namespace},
        "spec": spec(git_repo, "kid", namespace),
    }
    git_repo.commit({"parents/app.yaml": docs(child), "kid/cm.yaml": docs(configmap("kid-cm"))})
    parent = spec(git_repo, "parents", ctl.namespace)
    ctl.apply_app("parent-a", {**parent, "syncPolicy": {"automated": {}}})
    ctl.wait_app("parent-a", lambda a: sync_status(a) == "Synced", "parent-a synced", 120)
    ctl.apply_app("parent-b", parent, finalizers=[FINALIZER])
    ctl.wait_app("parent-b", lambda a: "SharedResourceWarning" in conditions(a), "shared warning", 60)
    before = identity(cluster, "application", "kid", ctl.namespace)

    delete_app(cluster, ctl, "parent-b")

    assert identity(cluster, "application", "kid", ctl.namespace)[0] == before[0]
    assert any("parent-a" in m for m in events(cluster, ctl.namespace, "parent-b", "DeletionSkipped"))


def test_seed_flow_shared_cluster_role_survives_deleting_the_app_that_does_not_own_it(
    cluster: ClusterHandle, namespace: str, git_repo: GitRepo, controller_factory: type[RunningController]
) -> None:
    """The seed's evil branch: time-coffee-evil and versioned-coffee-kustomize render one ClusterRole."""
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": f"{namespace}-evil"},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}],
    }
    kustomization = {"resources": ["role.yaml", "cm.yaml"]}
    git_repo.commit(
        {
            "time-coffee/role.yaml": docs(role),
            "time-coffee/cm.yaml": docs(configmap("time-coffee")),
            "versioned/role.yaml": docs(role),
            "versioned/kustomization.yaml": yaml.safe_dump(kustomization),
            "versioned/cm.yaml": docs(configmap("versioned-coffee")),
        },
        branch="evil",
    )
    ctl = controller_factory().start()
    versioned = spec(git_repo, "versioned", namespace)
    versioned["source"]["targetRevision"] = "evil"
    ctl.apply_app("versioned-coffee-kustomize", versioned, finalizers=[FINALIZER])
    sync(cluster, ctl, "versioned-coffee-kustomize")
    evil = spec(git_repo, "time-coffee", namespace)
    evil["source"]["targetRevision"] = "evil"
    ctl.apply_app("time-coffee-evil", evil)
    sync(cluster, ctl, "time-coffee-evil")  # takes the ClusterRole over (as Argo CD: last sync wins)
    ctl.refresh("versioned-coffee-kustomize")
    ctl.wait_app(
        "versioned-coffee-kustomize",
        lambda a: "SharedResourceWarning" in conditions(a),
        "SharedResourceWarning while both exist",
    )
    before = identity(cluster, "clusterrole", f"{namespace}-evil", None)

    delete_app(cluster, ctl, "versioned-coffee-kustomize")

    assert identity(cluster, "clusterrole", f"{namespace}-evil", None) == before
    left = cluster.kubectl("get", "configmap", "-n", namespace, "-o", "name").stdout.split()
    assert "configmap/versioned-coffee" not in left  # its own object went
    assert "configmap/time-coffee" in left
    cluster.kubectl("delete", "clusterrole", f"{namespace}-evil")
