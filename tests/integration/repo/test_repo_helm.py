"""Helm sources (chart in Git and in chart repositories) with every listed option."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.repo import RenderResult
from argosy.repo.errors import HelmRepoError, PathNotFoundError, RenderError, RevisionNotFoundError
from support.git_server import GitHttpServer
from support.helm_repo import HelmRepoServer, make_chart
from support.naming import HELM_USER, unique
from support.secrets import application, repo_secret

Render = Callable[..., RenderResult]

CM_TEMPLATE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-cfg
  namespace: {{ .Release.Namespace }}
data:
  color: {{ .Values.color | quote }}
  size: {{ .Values.size | quote }}
  sizeType: {{ kindOf .Values.size | quote }}
  kube: {{ .Capabilities.KubeVersion.Version | quote }}
  hasMonitoring: {{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" | quote }}
  {{- with .Values.cert }}
  cert: {{ . | quote }}
  {{- end }}
"""
CRD = """apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
"""


def _chart_files(name: str = "web") -> dict[str, str | None]:
    return {
        f"charts/{name}/Chart.yaml": yaml.safe_dump({"apiVersion": "v2", "name": name, "version": "0.1.0"}),
        f"charts/{name}/values.yaml": "color: blue\nsize: 1\n",
        f"charts/{name}/templates/cm.yaml": CM_TEMPLATE,
        f"charts/{name}/crds/widget.yaml": CRD,
        f"charts/{name}/values-prod.yaml": "color: red\n",
        f"charts/{name}/cert.pem": "PEM-DATA",
        "envs/prod.yaml": "size: 5\n",
    }


@pytest.fixture(scope="module")
def chart_url(git_server: GitHttpServer) -> str:
    name = unique("helm")
    git_server.create_repo(name).commit(_chart_files())
    return git_server.url(name)


def _cm(result: RenderResult) -> dict[str, Any]:
    return next(o.object for o in result.objects if o.object["kind"] == "ConfigMap")


def _render(render: Render, url: str, helm: dict[str, Any] | None = None, **kw: Any) -> RenderResult:
    source: dict[str, Any] = {"repoURL": url, "path": "charts/web", "targetRevision": "main"}
    if helm is not None:
        source["helm"] = helm
    return render(application(source, name="myapp", namespace="apps"), **kw)


def test_defaults_release_name_namespace_crds_and_provenance(chart_url: str, render: Render) -> None:
    result = _render(render, chart_url)
    cm = _cm(result)
    assert cm["metadata"] == {"name": "myapp-cfg", "namespace": "apps"}
    assert cm["data"]["color"] == "blue"
    assert [o.object["kind"] for o in result.objects] == ["CustomResourceDefinition", "ConfigMap"]
    prov = {o.object["kind"]: o.provenance.file for o in result.objects}
    assert prov["ConfigMap"] == "charts/web/templates/cm.yaml"
    assert prov["CustomResourceDefinition"] == "charts/web/crds/widget.yaml"
    assert result.sources[0].tool == "Helm"


def test_release_name_namespace_skip_crds(chart_url: str, render: Render) -> None:
    result = _render(render, chart_url, {"releaseName": "rel", "namespace": "other", "skipCrds": True})
    assert [o.object["kind"] for o in result.objects] == ["ConfigMap"]
    assert _cm(result)["metadata"] == {"name": "rel-cfg", "namespace": "other"}


def test_value_files_values_and_values_object(chart_url: str, render: Render) -> None:
    result = _render(render, chart_url, {"valueFiles": ["values-prod.yaml", "../../envs/prod.yaml"]})
    assert (_cm(result)["data"]["color"], _cm(result)["data"]["size"]) == ("red", "5")
    inline = _render(render, chart_url, {"valueFiles": ["values-prod.yaml"], "values": "color: green\n"})
    assert _cm(inline)["data"]["color"] == "green"
    obj = _render(render, chart_url, {"values": "color: green\n", "valuesObject": {"color": "black"}})
    assert _cm(obj)["data"]["color"] == "black", "valuesObject wins over values"


def test_parameters_set_and_force_string(chart_url: str, render: Render) -> None:
    result = _render(render, chart_url, {"parameters": [{"name": "size", "value": "3"}]})
    assert _cm(result)["data"]["sizeType"] == "int64"
    forced = _render(render, chart_url, {"parameters": [{"name": "size", "value": "3", "forceString": True}]})
    assert _cm(forced)["data"]["sizeType"] == "string"
    commas = _render(render, chart_url, {"parameters": [{"name": "color", "value": "a,b"}]})
    assert _cm(commas)["data"]["color"] == "a,b"


def test_file_parameters(chart_url: str, render: Render) -> None:
    result = _render(render, chart_url, {"fileParameters": [{"name": "cert", "path": "cert.pem"}]})
    assert _cm(result)["data"]["cert"] == "PEM-DATA"


def test_missing_value_file_fails_unless_ignored(chart_url: str, render: Render) -> None:
    with pytest.raises(PathNotFoundError, match=r"nope\.yaml"):
        _render(render, chart_url, {"valueFiles": ["nope.yaml"]})
    ok = _render(render, chart_url, {"valueFiles": ["nope.yaml"], "ignoreMissingValueFiles": True})
    assert _cm(ok)["data"]["color"] == "blue" and any("nope.yaml" in w for w in ok.warnings)


def test_kube_version_and_api_versions_of_destination(chart_url: str, render: Render) -> None:
    result = _render(
        render,
        chart_url,
        kube_version="1.29.4",
        api_versions=["monitoring.coreos.com/v1", "apps/v1/Deployment"],
    )
    assert _cm(result)["data"]["kube"] == "v1.29.4"
    assert _cm(result)["data"]["hasMonitoring"] == "true"
    plain = _render(render, chart_url, kube_version="1.30.0")
    assert _cm(plain)["data"]["hasMonitoring"] == "false"


def test_template_error_quotes_helm(git_server: GitHttpServer, render: Render) -> None:
    name = unique("helmbad")
    files = _chart_files()
    files["charts/web/templates/bad.yaml"] = "{{ .Values.nope.deeper }}\n"
    git_server.create_repo(name).commit(files)
    with pytest.raises(RenderError, match=r"helm template charts/web failed: .*nil pointer"):
        _render(render, git_server.url(name))


def test_dependency_build_local_and_from_chart_repository(
    git_server: GitHttpServer, helm_repo: HelmRepoServer, tmp_path: Path, render: Render
) -> None:
    lib = make_chart(tmp_path / "src", "depchart", "2.0.0", {"svc.yaml": _svc("{{ .Release.Name }}-dep")})
    helm_repo.add_chart(lib)
    name = unique("helmdeps")
    files = _chart_files("umbrella")
    files["charts/umbrella/Chart.yaml"] = yaml.safe_dump(
        {
            "apiVersion": "v2",
            "name": "umbrella",
            "version": "0.1.0",
            "dependencies": [
                {"name": "depchart", "version": "2.0.0", "repository": helm_repo.url},
                {"name": "local", "version": "0.1.0", "repository": "file://../local"},
            ],
        }
    )
    files["charts/local/Chart.yaml"] = yaml.safe_dump(
        {"apiVersion": "v2", "name": "local", "version": "0.1.0"}
    )
    files["charts/local/templates/svc.yaml"] = _svc("local-svc")
    git_server.create_repo(name).commit(files)
    source = {"repoURL": git_server.url(name), "path": "charts/umbrella", "helm": {"skipCrds": True}}
    result = render(application(source))
    names = sorted(o.object["metadata"]["name"] for o in result.objects)
    assert names == ["demo-cfg", "demo-dep", "local-svc"]


def _svc(name: str) -> str:
    return f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\nspec:\n  ports: [{{port: 80}}]\n"


@pytest.fixture(scope="module")
def published(helm_repo: HelmRepoServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    src = tmp_path_factory.mktemp("charts")
    for version in ("1.0.0", "1.2.0", "1.2.5", "2.0.0", "2.1.0-rc.1"):
        chart = make_chart(
            src / version, "pub", version, {"cm.yaml": CM_TEMPLATE}, {"color": f"v{version}", "size": 1}
        )
        helm_repo.add_chart(chart)
    return helm_repo.url


@pytest.mark.parametrize(
    ("revision", "expected"),
    [("1.2.0", "1.2.0"), ("1.2.*", "1.2.5"), (">=1.0 <2", "1.2.5"), ("*", "2.0.0"), ("~1.2.0", "1.2.5")],
)
def test_chart_repository_versions_and_ranges(
    published: str, render: Render, revision: str, expected: str
) -> None:
    result = render(application({"repoURL": published, "chart": "pub", "targetRevision": revision}))
    assert result.revision == expected
    assert _cm(result)["data"]["color"] == f"v{expected}"
    assert result.objects[-1].provenance.file == "templates/cm.yaml"


def test_chart_repository_errors(published: str, render: Render) -> None:
    with pytest.raises(RevisionNotFoundError, match="no version matches"):
        render(application({"repoURL": published, "chart": "pub", "targetRevision": "9.*"}))
    with pytest.raises(RevisionNotFoundError, match="not found"):
        render(application({"repoURL": published, "chart": "nochart", "targetRevision": "1.0.0"}))


def test_private_chart_repository_with_secret(
    private_helm_repo: HelmRepoServer, tmp_path: Path, render: Render
) -> None:
    private_helm_repo.add_chart(make_chart(tmp_path, "secret-chart", "0.3.0", {"svc.yaml": _svc("private")}))
    app = application({"repoURL": private_helm_repo.url, "chart": "secret-chart", "targetRevision": "0.3.0"})
    with pytest.raises(HelmRepoError, match="401") as info:
        render(app)
    assert HELM_USER[1] not in str(info.value)
    secret = repo_secret(url=private_helm_repo.url, type="helm", username=HELM_USER[0], password=HELM_USER[1])
    assert render(app, [secret]).manifests()[0]["metadata"]["name"] == "private"
