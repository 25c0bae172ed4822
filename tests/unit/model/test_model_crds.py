"""CRD manifests: Argo CD's names and columns; schemas generated from the model, as strict as Argo CD's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.model import crd_manifests
from argosy.model.application import ApplicationSpec
from argosy.model.crds import crd_yaml
from argosy.model.schema import PRESERVE
from support import admission

MANIFESTS = Path(__file__).parent / "manifests"


def by_kind() -> dict[str, dict[str, Any]]:
    return {crd["spec"]["names"]["kind"]: crd for crd in crd_manifests()}


def test_names_match_argo_cd() -> None:
    crds = by_kind()
    assert list(crds) == ["Application", "AppProject", "ApplicationSet"]
    expected = {
        "Application": ("applications", "application", ["app", "apps"]),
        "AppProject": ("appprojects", "appproject", ["appproj", "appprojs"]),
        "ApplicationSet": ("applicationsets", "applicationset", ["appset", "appsets"]),
    }
    for kind, (plural, singular, short) in expected.items():
        crd = crds[kind]
        assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
        assert crd["metadata"]["name"] == f"{plural}.argoproj.io"
        names = crd["spec"]["names"]
        assert (names["plural"], names["singular"], names["shortNames"]) == (plural, singular, short)
        assert names["listKind"] == f"{kind}List"
        assert crd["spec"]["group"] == "argoproj.io" and crd["spec"]["scope"] == "Namespaced"
        (version,) = crd["spec"]["versions"]
        assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)


def test_application_printer_columns_and_no_status_subresource() -> None:
    (version,) = by_kind()["Application"]["spec"]["versions"]
    columns = [(c["name"], c["jsonPath"], c.get("priority", 0)) for c in version["additionalPrinterColumns"]]
    assert columns == [
        ("Sync Status", ".status.sync.status", 0),
        ("Health Status", ".status.health.status", 0),
        ("Revision", ".status.sync.revision", 10),
        ("Project", ".spec.project", 10),
    ]
    # Argo CD's controller updates status with a plain update, so no status subresource.
    assert version["subresources"] == {}
    (appset,) = by_kind()["ApplicationSet"]["spec"]["versions"]
    assert appset["subresources"] == {"status": {}}
    (proj,) = by_kind()["AppProject"]["spec"]["versions"]
    assert "subresources" not in proj


def _walk(schema: dict[str, Any], path: str, problems: list[str], preserved: list[str]) -> None:
    """The rules of a structural schema: every node typed (or free-form), items for arrays."""
    if schema.get(PRESERVE) and path:
        preserved.append(path)
    if "type" not in schema and not schema.get(PRESERVE) and not schema.get("x-kubernetes-int-or-string"):
        problems.append(f"{path}: no type")
    if schema.get("type") == "array" and "items" not in schema:
        problems.append(f"{path}: array without items")
    for name, sub in schema.get("properties", {}).items():
        _walk(sub, f"{path}.{name}", problems, preserved)
    for key, suffix in (("items", "[]"), ("additionalProperties", "{}")):
        if isinstance(schema.get(key), dict):
            _walk(schema[key], f"{path}{suffix}", problems, preserved)


def _schema(kind: str) -> dict[str, Any]:
    (version,) = by_kind()[kind]["spec"]["versions"]
    schema = version["schema"]["openAPIV3Schema"]
    assert isinstance(schema, dict)
    return schema


def _free_form(kind: str) -> list[str]:
    problems: list[str] = []
    preserved: list[str] = []
    _walk(_schema(kind), "", problems, preserved)
    assert problems == []
    return [p for p in preserved if not p.startswith(".status")]


def test_spec_is_free_form_exactly_where_argo_cd_leaves_it_open() -> None:
    sources = [".spec.source", ".spec.sources[]", ".spec.sourceHydrator.drySource"]
    in_operation = [".operation.sync.source", ".operation.sync.sources[]"]
    assert sorted(_free_form("Application")) == sorted(
        f"{s}.helm.valuesObject" for s in sources + in_operation
    )
    assert _free_form("AppProject") == []
    appset = _free_form("ApplicationSet")
    # Below spec.template only Helm values are free; elsewhere list elements, plugin input, the
    # generators nested two levels deep (matrix in matrix), as in Argo CD's schema, and each
    # generator's template override (typed in Argo CD's, 24 copies; refused when written here).
    assert {p.rsplit(".", 1)[-1] for p in appset} == {
        "valuesObject",
        "elements[]",
        "parameters",
        "matrix",
        "merge",
        "template",
    }
    assert sorted(p for p in appset if p.startswith(".spec.template")) == [
        ".spec.template.spec.source.helm.valuesObject",
        ".spec.template.spec.sourceHydrator.drySource.helm.valuesObject",
        ".spec.template.spec.sources[].helm.valuesObject",
    ]
    overrides = [p for p in appset if p.endswith(".template")]
    assert len(overrides) == 23 and all(p.startswith(".spec.generators[].") for p in overrides)
    assert sorted(p for p in appset if "template" not in p) == [
        ".spec.generators[].list.elements[]",
        ".spec.generators[].matrix.generators[].list.elements[]",
        ".spec.generators[].matrix.generators[].matrix",
        ".spec.generators[].matrix.generators[].merge",
        ".spec.generators[].matrix.generators[].plugin.input.parameters",
        ".spec.generators[].merge.generators[].list.elements[]",
        ".spec.generators[].merge.generators[].matrix",
        ".spec.generators[].merge.generators[].merge",
        ".spec.generators[].merge.generators[].plugin.input.parameters",
        ".spec.generators[].plugin.input.parameters",
    ]


def test_the_applicationset_schema_does_not_repeat_the_application_template() -> None:
    # kubectl parses the group's whole OpenAPI document for every object it applies: 23 typed
    # template overrides made it 690 KB (75 ms of kubectl CPU per Application applied).
    sizes = {kind: len(json.dumps(_schema(kind), separators=(",", ":"))) for kind in by_kind()}
    assert sizes["ApplicationSet"] < sizes["Application"] / 2, sizes


@pytest.mark.parametrize("kind", ["Application", "AppProject", "ApplicationSet"])
def test_status_keeps_what_it_does_not_declare(kind: str) -> None:
    """Status is the controller's record (Argosy's has more than Argo CD's): never pruned, never refused."""
    status = _schema(kind)["properties"]["status"]
    assert status[PRESERVE] is True and "properties" in status


def test_application_required_fields_agree_with_the_model() -> None:
    spec_schema = _schema("Application")["properties"]["spec"]
    assert spec_schema["required"] == [ApplicationSpec._json_key(n) for n in ApplicationSpec._required]
    assert spec_schema["properties"]["source"]["required"] == ["repoURL"]


def test_kubectl_explain_has_docs_for_source_fields() -> None:
    source = _schema("Application")["properties"]["spec"]["properties"]["source"]
    undocumented = [name for name, prop in source["properties"].items() if not prop.get("description")]
    assert undocumented == []
    assert "Git" in source["properties"]["targetRevision"]["description"]


@pytest.mark.parametrize(
    "manifest",
    ["app-multisource-helm.yaml", "app-with-status.yaml", "appproject.yaml", "applicationset.yaml"],
)
def test_realistic_manifests_are_admitted(manifest: str) -> None:
    obj = yaml.safe_load((MANIFESTS / manifest).read_text())
    found = admission.problems(_schema(obj["kind"]), obj, obj["kind"])
    if manifest == "app-multisource-helm.yaml":
        # The model keeps a field it does not know; the API server does not admit it.
        assert found == ["Application.spec.someFutureField: unknown field"]
    else:
        assert found == []


def test_application_missing_repo_url_is_refused_by_the_schema() -> None:
    obj = {"metadata": {}, "spec": {"project": "p", "destination": {}, "sources": [{"path": "x"}]}}
    assert admission.problems(_schema("Application"), obj, "Application") == [
        "Application.spec.sources[0].repoURL missing"
    ]


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        (["spec", "sourc"], {"repoURL": "x"}, "spec.sourc: unknown field"),
        (["spec", "source", "targetRevison"], "v1", "spec.source.targetRevison: unknown field"),
        (["spec", "source", "helm", "valueFiles"], "values.yaml", "spec.source.helm.valueFiles: not array"),
        (
            ["spec", "syncPolicy", "automated", "prune"],
            "true",
            "spec.syncPolicy.automated.prune: not boolean",
        ),
        (
            ["spec", "source", "kustomize", "replicas"],
            [{"name": "x", "count": 1.5}],
            "count: not an integer or string",
        ),
    ],
)
def test_typos_and_wrong_types_in_spec_are_refused(path: list[str], value: Any, problem: str) -> None:
    obj: dict[str, Any] = {
        "metadata": {"name": "x"},
        "spec": {"project": "p", "destination": {"name": "c"}, "source": {"repoURL": "r"}},
    }
    target = obj
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    found = admission.problems(_schema("Application"), obj, "Application")
    assert len(found) == 1 and found[0].endswith(problem), found


def test_crd_yaml_is_the_same_documents() -> None:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    assert list(yaml.load_all(crd_yaml(), Loader=loader)) == crd_manifests()
