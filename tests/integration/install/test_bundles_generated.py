"""The chart lints, renders the settings users set as values, and the committed bundles are
exactly what the pinned helm renders from it (else: `python -m argosy.devcluster.manifests`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from argosy.devcluster import build
from argosy.devcluster.manifests import BUNDLES, CHART, REGENERATE, generate, helm_template, main, stale

ROOT = Path(__file__).resolve().parents[3]


def _render(*values: str, namespace: str = "argocd") -> str:
    return helm_template(ROOT / CHART, values, namespace=namespace, include_crds=False)


def _object(rendered: str, kind: str, name: str) -> dict[str, Any]:
    for doc in yaml.safe_load_all(rendered):
        if doc and doc["kind"] == kind and doc["metadata"]["name"] == name:
            return dict(doc)
    raise AssertionError(f"{kind}/{name} not rendered")


def test_committed_bundles_are_fresh_renders_of_the_chart() -> None:
    assert stale(ROOT) == [], f"run `{REGENERATE}` and commit the result"


def test_check_names_a_stale_bundle_and_the_command(tmp_path: Path, capsys: Any, monkeypatch: Any) -> None:
    shutil.copytree(ROOT / CHART, tmp_path / CHART)
    for path, text in generate(ROOT).items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text, encoding="utf-8")
    edited = tmp_path / BUNDLES[0].path
    edited.write_text(edited.read_text(encoding="utf-8") + "# hand edit\n", encoding="utf-8")
    monkeypatch.setattr("argosy.devcluster.manifests.checkout_root", lambda: tmp_path)
    assert main(["--check"]) == 1
    err = capsys.readouterr().err
    assert f"{BUNDLES[0].path} differs from the chart: run `{REGENERATE}`" in err
    edited.write_text(generate(ROOT)[BUNDLES[0].path], encoding="utf-8")
    assert main(["--check"]) == 0


def test_chart_lints() -> None:
    proc = subprocess.run(
        [str(build.binary("helm")), "lint", "--strict", str(ROOT / CHART)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_insecure_and_rootpath_values_land_in_cmd_params() -> None:
    rendered = _render("server.insecure=true", "server.rootpath=/argosy")
    params = _object(rendered, "ConfigMap", "argocd-cmd-params-cm")
    assert params["data"] == {"server.insecure": "true", "server.rootpath": "/argosy"}
    default = _object(_render(), "ConfigMap", "argocd-cmd-params-cm")
    assert "data" not in default


def test_values_reach_the_workloads() -> None:
    rendered = _render(
        "image.tag=dev",
        "controller.replicas=3",
        "controller.extraArgs={--loglevel=debug}",
        "repoServer.resources.limits.memory=1Gi",
        "server.ingress.enabled=true",
        "server.ingress.hostname=cd.example.org",
        "imageUpdater.enabled=false",
        "clusterResourceSuffix=-team-a",
        namespace="team-a",
    )
    controller = _object(rendered, "StatefulSet", "argosy-application-controller")
    (container,) = controller["spec"]["template"]["spec"]["containers"]
    assert controller["spec"]["replicas"] == 3
    assert container["image"] == "docker.io/argosy/argosy:dev"
    assert container["args"][-1] == "--loglevel=debug"
    repo = _object(rendered, "Deployment", "argosy-repo-server")
    assert repo["spec"]["template"]["spec"]["containers"][0]["resources"] == {"limits": {"memory": "1Gi"}}
    ingress = _object(rendered, "Ingress", "argosy-server")
    assert ingress["spec"]["rules"][0]["host"] == "cd.example.org"
    binding = _object(rendered, "ClusterRoleBinding", "argosy-server-team-a")
    assert binding["roleRef"]["name"] == "argosy-server-team-a"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "argosy-server", "namespace": "team-a"}]
    assert "argosy-image-updater" not in rendered


def test_unknown_rbac_scope_is_refused_with_the_choices() -> None:
    try:
        _render("rbac.scope=everything")
    except RuntimeError as exc:
        assert 'rbac.scope "everything": use cluster or namespace' in str(exc)
    else:
        raise AssertionError("rbac.scope=everything rendered")
