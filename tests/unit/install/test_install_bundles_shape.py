"""The committed install bundles (manifests/*.yaml) and the chart: what users apply must be
installable into any namespace, least-privilege and hardened (no helm needed: the files are read).

Whether they are fresh renders of the chart is checked with the pinned helm in
tests/integration/install/test_bundles_generated.py.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

import argosy
from argosy.controller.bootstrap import bundled_crds, with_manifest_hash
from argosy.devcluster.manifests import BUNDLES, CHART, CRDS_FILE, crds_yaml

ROOT = Path(__file__).resolve().parents[3]
CLUSTER_SCOPED = {"CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "Namespace"}
COMPONENTS = {
    "argosy-application-controller",
    "argosy-repo-server",
    "argosy-server",
    "argosy-applicationset-controller",
    "argosy-image-updater",
}
Obj = dict[str, Any]


@functools.cache
def _objects(name: str) -> list[Obj]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = (ROOT / "manifests" / name).read_text(encoding="utf-8")
    return [doc for doc in yaml.load_all(text, Loader=loader) if doc]


def _by_kind(name: str, kind: str) -> dict[str, Obj]:
    return {o["metadata"]["name"]: o for o in _objects(name) if o["kind"] == kind}


def _workloads(name: str) -> dict[str, Obj]:
    return {**_by_kind(name, "Deployment"), **_by_kind(name, "StatefulSet")}


BUNDLE_NAMES = [b.path.name for b in BUNDLES]


def test_chart_version_is_argosys_version() -> None:
    chart = yaml.safe_load((ROOT / CHART / "Chart.yaml").read_text(encoding="utf-8"))
    assert (chart["version"], chart["appVersion"]) == (argosy.__version__, argosy.__version__), (
        f"{CHART}/Chart.yaml: set version and appVersion to {argosy.__version__} (src/argosy/__init__.py)"
    )


def test_chart_crds_are_the_ones_the_controller_applies() -> None:
    committed = (ROOT / CRDS_FILE).read_text(encoding="utf-8")
    assert committed == crds_yaml(), f"{CRDS_FILE} is stale: run `python -m argosy.devcluster.manifests`"


@pytest.mark.parametrize("bundle", BUNDLE_NAMES)
def test_bundle_carries_every_crd_with_its_manifest_hash(bundle: str) -> None:
    crds = _by_kind(bundle, "CustomResourceDefinition")
    expected = {c["metadata"]["name"]: with_manifest_hash(c) for c in bundled_crds()}
    assert crds == expected


@pytest.mark.parametrize("bundle", BUNDLE_NAMES)
def test_namespaced_objects_leave_the_namespace_to_kubectl(bundle: str) -> None:
    placed = [
        f"{o['kind']}/{o['metadata']['name']}"
        for o in _objects(bundle)
        if o["kind"] not in CLUSTER_SCOPED and "namespace" in o["metadata"]
    ]
    assert placed == []


def test_bundles_hold_the_components_of_their_kind() -> None:
    assert set(_workloads("install.yaml")) == COMPONENTS
    assert set(_workloads("namespace-install.yaml")) == COMPONENTS
    assert set(_workloads("core-install.yaml")) == {"argosy-application-controller", "argosy-repo-server"}
    assert _workloads("install.yaml")["argosy-application-controller"]["kind"] == "StatefulSet"
    for bundle in BUNDLE_NAMES:
        settings = {**_by_kind(bundle, "ConfigMap"), **_by_kind(bundle, "Secret")}
        assert set(settings) == {
            "argocd-cm",
            "argocd-rbac-cm",
            "argocd-cmd-params-cm",
            "argocd-tls-certs-cm",
            "argocd-ssh-known-hosts-cm",
            "argocd-secret",
        }
        assert all("data" not in o for o in settings.values()), f"{bundle}: settings must start empty"


def test_namespace_install_grants_nothing_cluster_wide() -> None:
    kinds = {o["kind"] for o in _objects("namespace-install.yaml")}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding"}
    controller = _by_kind("namespace-install.yaml", "Role")["argosy-application-controller"]
    assert controller["rules"] == [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]


def test_cluster_role_bindings_name_the_argocd_namespace() -> None:
    for binding in _by_kind("install.yaml", "ClusterRoleBinding").values():
        (subject,) = binding["subjects"]
        assert subject["namespace"] == "argocd"
        assert subject["name"] == binding["roleRef"]["name"]


@pytest.mark.parametrize("bundle", BUNDLE_NAMES)
def test_repo_server_gets_no_kubernetes_credentials(bundle: str) -> None:
    account = _by_kind(bundle, "ServiceAccount")["argosy-repo-server"]
    pod = _workloads(bundle)["argosy-repo-server"]["spec"]["template"]["spec"]
    assert account["automountServiceAccountToken"] is False
    assert pod["automountServiceAccountToken"] is False
    bound = {
        s["name"]
        for kind in ("RoleBinding", "ClusterRoleBinding")
        for b in _by_kind(bundle, kind).values()
        for s in b["subjects"]
    }
    assert "argosy-repo-server" not in bound


@pytest.mark.parametrize("bundle", BUNDLE_NAMES)
def test_every_container_is_hardened(bundle: str) -> None:
    for name, workload in _workloads(bundle).items():
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] == 999, name
        writable = {m["mountPath"] for c in pod["containers"] for m in c["volumeMounts"]}
        assert {"/tmp", "/home/argosy"} <= writable, name
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["readOnlyRootFilesystem"] is True, name
            assert sc["allowPrivilegeEscalation"] is False, name
            assert sc["capabilities"] == {"drop": ["ALL"]}, name
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
            assert container["image"] == f"docker.io/argosy/argosy:{argosy.__version__}", name
            assert container["imagePullPolicy"] == "IfNotPresent", name


def test_probes_use_each_components_health_endpoint() -> None:
    probes = {}
    for name, workload in _workloads("install.yaml").items():
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}
        probe = container.get("readinessProbe") or {}
        if "httpGet" in probe:
            probes[name] = (probe["httpGet"]["path"], ports[probe["httpGet"]["port"]])
        elif "tcpSocket" in probe:
            probes[name] = ("tcp", ports[probe["tcpSocket"]["port"]])
    assert probes == {
        "argosy-application-controller": ("/healthz", 8082),
        "argosy-repo-server": ("/healthz", 8081),
        # HTTPS or plain HTTP, as argocd-cmd-params-cm says at start: a probe cannot follow.
        "argosy-server": ("tcp", 8080),
        "argosy-image-updater": ("/healthz", 8081),
    }


def test_components_run_in_the_namespace_they_are_applied_to() -> None:
    for name, workload in _workloads("install.yaml").items():
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["POD_NAMESPACE"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.namespace"}}, name
        if name != "argosy-repo-server":
            assert "--namespace=$(POD_NAMESPACE)" in container["args"], name


def test_server_service_answers_on_80_and_443() -> None:
    service = _by_kind("install.yaml", "Service")["argosy-server"]
    assert {(p["name"], p["port"], p["targetPort"]) for p in service["spec"]["ports"]} == {
        ("http", 80, "server"),
        ("https", 443, "server"),
    }


def test_generator_refuses_unknown_arguments_with_its_usage(capsys: pytest.CaptureFixture[str]) -> None:
    from argosy.devcluster.manifests import main

    assert main(["--force"]) == 2
    assert "usage: python -m argosy.devcluster.manifests [--check]" in capsys.readouterr().err
