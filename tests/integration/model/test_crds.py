"""The CRDs on a real API server: Argo CD manifests are stored unchanged, typos are refused with their
path, ``kubectl explain`` documents the fields, and the columns are Argo CD's."""

from __future__ import annotations

import copy
import json
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from argosy.model import Application, ApplicationSet, AppProject
from support.argocd_examples import argocd_examples
from support.cluster import ClusterHandle
from support.crds import install_crds

NAMESPACE = "argocd"


@pytest.fixture(scope="module")
def crds(cluster: ClusterHandle) -> ClusterHandle:
    install_crds(cluster)
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    cluster.kubectl("apply", "-f", "-", stdin=json.dumps(ns))
    return cluster


@pytest.fixture
def app_name(crds: ClusterHandle) -> Iterator[str]:
    name = f"guestbook-{uuid.uuid4().hex[:8]}"
    yield name
    crds.kubectl(
        "delete", "applications.argoproj.io", name, "-n", NAMESPACE, "--ignore-not-found", check=False
    )


def argo_cd_application(name: str) -> dict[str, Any]:
    """An Application as Argo CD users write it (and as Argo CD writes its status)."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": NAMESPACE,
            "labels": {"team": "web"},
            "annotations": {"argocd.argoproj.io/manifest-generate-paths": "."},
        },
        "spec": {
            "project": "default",
            "sources": [
                {
                    "repoURL": "https://charts.example.com/stable",
                    "chart": "guestbook",
                    "targetRevision": "1.4.2",
                    "helm": {
                        "releaseName": "guestbook",
                        "valueFiles": ["$values/envs/prod/values.yaml"],
                        "valuesObject": {
                            "replicaCount": 3,
                            "ingress": {"enabled": True, "hosts": ["a.example"]},
                        },
                        "parameters": [{"name": "service.port", "value": "8080", "forceString": True}],
                    },
                },
                {"repoURL": "https://git.example.com/values.git", "targetRevision": "main", "ref": "values"},
            ],
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook"},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
                "managedNamespaceMetadata": {"labels": {"env": "prod"}},
                "retry": {"limit": 3, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
            },
            "ignoreDifferences": [
                {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}
            ],
            "revisionHistoryLimit": 5,
        },
        "operation": {"initiatedBy": {"username": "admin"}, "sync": {"revision": "1.4.2", "prune": True}},
        "status": {
            "sync": {"status": "Synced", "revisions": ["1.4.2", "0a1b2c3d"], "revision": "1.4.2"},
            "health": {"status": "Healthy"},
            "summary": {"images": ["ghcr.io/example/guestbook:v1.2.3"]},
            "reconciledAt": "2025-03-02T08:00:05Z",
        },
    }


def get_json(cluster: ClusterHandle, *args: str) -> dict[str, Any]:
    data = json.loads(cluster.kubectl("get", *args, "-o", "json").stdout)
    assert isinstance(data, dict)
    return data


def test_application_is_stored_unchanged(crds: ClusterHandle, app_name: str) -> None:
    manifest = argo_cd_application(app_name)
    crds.kubectl("create", "-f", "-", stdin=json.dumps(manifest))
    live = get_json(crds, "application", app_name, "-n", NAMESPACE)
    for key in ("spec", "operation", "status"):
        assert live[key] == manifest[key], key
    assert live["metadata"]["labels"] == manifest["metadata"]["labels"]
    assert live["metadata"]["annotations"] == manifest["metadata"]["annotations"]
    # The model reads what the API server returns and gives it back unchanged.
    app = Application.from_dict(copy.deepcopy(live))
    assert app.errors == []
    assert app.to_dict() == live


def test_status_is_written_with_a_plain_update(crds: ClusterHandle, app_name: str) -> None:
    """No status subresource (as Argo CD): a normal update of the object changes its status."""
    crds.kubectl("create", "-f", "-", stdin=json.dumps(argo_cd_application(app_name)))
    app = Application.from_dict(get_json(crds, "application", app_name, "-n", NAMESPACE))
    app.status.sync.status = "OutOfSync"
    app.status.health.status = "Degraded"
    crds.kubectl("replace", "-f", "-", stdin=json.dumps(app.to_dict()))
    live = get_json(crds, "application", app_name, "-n", NAMESPACE)
    assert live["status"]["sync"]["status"] == "OutOfSync"
    assert live["status"]["health"]["status"] == "Degraded"


def test_kubectl_get_prints_sync_and_health_columns(crds: ClusterHandle, app_name: str) -> None:
    crds.kubectl("create", "-f", "-", stdin=json.dumps(argo_cd_application(app_name)))
    out = crds.kubectl("get", "applications", "-n", NAMESPACE).stdout
    header, *rows = out.splitlines()
    # Exactly Argo CD's columns (a CRD with printer columns gets no AGE column unless it asks).
    assert header.split() == ["NAME", "SYNC", "STATUS", "HEALTH", "STATUS"]
    (row,) = [r.split() for r in rows if r.split()[0] == app_name]
    assert row[1:3] == ["Synced", "Healthy"]
    wide = crds.kubectl("get", "app", app_name, "-n", NAMESPACE, "-o", "wide").stdout
    header, row_line = wide.splitlines()
    assert header.split() == ["NAME", "SYNC", "STATUS", "HEALTH", "STATUS", "REVISION", "PROJECT"]
    assert row_line.split() == [app_name, "Synced", "Healthy", "1.4.2", "default"]


def test_application_without_repo_url_is_refused(crds: ClusterHandle, app_name: str) -> None:
    manifest = argo_cd_application(app_name)
    del manifest["spec"]["sources"][1]["repoURL"]
    proc = crds.kubectl("create", "-f", "-", stdin=json.dumps(manifest), check=False)
    assert proc.returncode != 0
    assert "spec.sources[1].repoURL: Required value" in proc.stderr


def test_project_and_applicationset_short_names_and_round_trip(crds: ClusterHandle) -> None:
    suffix = uuid.uuid4().hex[:8]
    project = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": f"coffee-{suffix}", "namespace": NAMESPACE},
        "spec": {
            "sourceRepos": ["https://github.com/example/*", "!https://github.com/example/secret.git"],
            "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "coffee-*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            "syncWindows": [
                {"kind": "allow", "schedule": "0 6 * * *", "duration": "6h", "timeZone": "Europe/Paris"}
            ],
            "roles": [{"name": "ci", "policies": ["p, proj:coffee:ci, applications, sync, coffee/*, allow"]}],
        },
    }
    appset = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": f"addons-{suffix}", "namespace": NAMESPACE},
        "spec": {
            "goTemplate": True,
            "generators": [
                {"list": {"elements": [{"cluster": "in-cluster", "url": "https://kubernetes.default.svc"}]}}
            ],
            "template": {
                "metadata": {"name": "{{.cluster}}-addons"},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": "https://git.example.com/addons.git", "path": "addons"},
                    "destination": {"server": "{{.url}}", "namespace": "addons"},
                },
            },
        },
        "status": {
            "conditions": [{"type": "ErrorOccurred", "status": "False", "reason": "x", "message": "y"}]
        },
    }
    try:
        crds.kubectl("create", "-f", "-", stdin=json.dumps(project))
        crds.kubectl("create", "-f", "-", stdin=json.dumps(appset))
        live_proj = get_json(crds, "appproj", project["metadata"]["name"], "-n", NAMESPACE)
        assert live_proj["spec"] == project["spec"]
        assert AppProject.from_dict(copy.deepcopy(live_proj)).to_dict() == live_proj
        live_set = get_json(crds, "appset", appset["metadata"]["name"], "-n", NAMESPACE)
        assert live_set["spec"] == appset["spec"]
        # ApplicationSet has a status subresource (as in Argo CD): status is not taken on create.
        assert "status" not in live_set
        parsed = ApplicationSet.from_dict(copy.deepcopy(live_set))
        assert parsed.errors == [] and parsed.to_dict() == live_set
    finally:
        for kind, name in (("appproj", project["metadata"]["name"]), ("appset", appset["metadata"]["name"])):
            crds.kubectl("delete", kind, name, "-n", NAMESPACE, "--ignore-not-found", check=False)


def _apply(cluster: ClusterHandle, obj: dict[str, Any], *flags: str) -> subprocess.CompletedProcess[str]:
    return cluster.kubectl("apply", *flags, "-f", "-", stdin=json.dumps(obj), check=False)


@pytest.mark.parametrize(
    ("path", "value", "server_side", "strict"),
    [
        (
            ["spec", "sourc"],
            {"repoURL": "x"},
            ".spec.sourc: field not declared",
            'unknown field "spec.sourc"',
        ),
        (
            ["spec", "source", "targetRevison"],
            "v1",
            ".spec.source.targetRevison: field not declared in schema",
            'unknown field "spec.source.targetRevison"',
        ),
        (
            ["spec", "syncPolicy", "automated", "prune"],
            "yes",
            ".spec.syncPolicy.automated.prune: expected boolean",
            "spec.syncPolicy.automated.prune: Invalid value",
        ),
        (
            ["spec", "source", "helm", "valueFiles"],
            "values.yaml",
            ".spec.source.helm.valueFiles: expected list",
            "spec.source.helm.valueFiles: Invalid value",
        ),
    ],
)
def test_typos_and_wrong_types_are_refused_by_kubectl_apply_with_their_path(
    crds: ClusterHandle, app_name: str, path: list[str], value: Any, server_side: str, strict: str
) -> None:
    manifest = argo_cd_application(app_name)
    del manifest["status"], manifest["operation"]
    manifest["spec"]["source"] = manifest["spec"].pop("sources")[0]
    target = manifest
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    for flag, message in (("--server-side", server_side), ("--validate=strict", strict)):
        proc = _apply(crds, manifest, flag)
        assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert "NotFound" in crds.kubectl("get", "application", app_name, "-n", NAMESPACE, check=False).stderr


EXAMPLES = argocd_examples()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["metadata"]["name"] for e in EXAMPLES])
def test_argo_cd_examples_are_accepted_and_stored_unchanged(
    crds: ClusterHandle, example: dict[str, Any]
) -> None:
    """Every spec field Argo CD declares, applied as users do (server-side, strict validation)."""
    kind, name = example["kind"].lower(), f"{example['metadata']['name']}-{uuid.uuid4().hex[:6]}"
    manifest = copy.deepcopy(example)
    manifest["metadata"]["name"] = name
    try:
        proc = _apply(crds, manifest, "--server-side", "--field-manager=argocd-examples")
        assert proc.returncode == 0, proc.stderr
        # Not even a warning of a dropped or duplicated field (Kubernetes warns about the
        # finalizer names of Argo CD, which are not domain-qualified paths).
        assert "field" not in proc.stderr.replace("finalizer", ""), proc.stderr
        live = get_json(crds, kind, name, "-n", NAMESPACE)
        assert live["spec"] == example["spec"]
    finally:
        crds.kubectl("delete", kind, name, "-n", NAMESPACE, "--ignore-not-found", "--wait=false", check=False)


def test_kubectl_explain_documents_source_fields(crds: ClusterHandle) -> None:
    out = crds.kubectl("explain", "application.spec.source").stdout
    assert "The source of the manifests" in out
    assert "repoURL\t<string> -required-" in out
    assert "targetRevision\t<string>" in out and "defaults to HEAD" in out
    helm = crds.kubectl("explain", "application.spec.source.helm.valuesObject").stdout
    assert "takes precedence over `values`" in helm
    appset = crds.kubectl("explain", "applicationset.spec.generators.git").stdout
    assert "directories\t<[]Object>" in appset


def test_a_status_field_the_model_does_not_know_is_kept(crds: ClusterHandle, app_name: str) -> None:
    """Status is the controller's record (Argo CD's before a migration): typed, but never pruned."""
    manifest = argo_cd_application(app_name)
    manifest["status"]["aFieldFromANewerArgoCD"] = {"x": 1}
    manifest["status"]["sync"]["comparedTo"] = {"destination": {}, "fromTheFuture": True}
    crds.kubectl("create", "-f", "-", stdin=json.dumps(manifest))
    live = get_json(crds, "application", app_name, "-n", NAMESPACE)
    assert live["status"] == manifest["status"]
