"""CRD manifests: Argo CD's names and columns, structural schemas, permissive for real manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.model import crd_manifests
from argosy.model.application import ApplicationSpec
from argosy.model.crds import crd_yaml

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


def _walk(schema: dict[str, Any], path: str, problems: list[str]) -> None:
    """The rules of a structural schema that matter here: every node typed, items for arrays."""
    if "type" not in schema:
        problems.append(f"{path}: no type")
    if schema.get("type") == "array" and "items" not in schema:
        problems.append(f"{path}: array without items")
    for name, sub in schema.get("properties", {}).items():
        _walk(sub, f"{path}.{name}", problems)
    if isinstance(schema.get("items"), dict):
        _walk(schema["items"], f"{path}[]", problems)


@pytest.mark.parametrize("kind", ["Application", "AppProject", "ApplicationSet"])
def test_schemas_are_structural_and_preserve_unknown_fields(kind: str) -> None:
    (version,) = by_kind()[kind]["spec"]["versions"]
    root = version["schema"]["openAPIV3Schema"]
    problems: list[str] = []
    _walk(root, kind, problems)
    assert problems == []
    preserved = [n for n, s in root["properties"].items() if s.get("x-kubernetes-preserve-unknown-fields")]
    expected = ["spec", "operation", "status"] if kind == "Application" else ["spec", "status"]
    assert preserved == expected


def test_application_required_fields_agree_with_the_model() -> None:
    (version,) = by_kind()["Application"]["spec"]["versions"]
    spec_schema = version["schema"]["openAPIV3Schema"]["properties"]["spec"]
    assert spec_schema["required"] == [ApplicationSpec._json_key(n) for n in ApplicationSpec._required]


def _admits(schema: dict[str, Any], value: Any, path: str, problems: list[str]) -> None:
    """What the API server checks for the typed parts: type, required, nested properties."""
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "integer": int}
    expected = types[schema["type"]]
    if not isinstance(value, expected):
        problems.append(f"{path}: not {schema['type']}")
        return
    if isinstance(value, dict):
        problems.extend(f"{path}.{r} missing" for r in schema.get("required", []) if r not in value)
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                _admits(sub, value[name], f"{path}.{name}", problems)
        if not schema.get("x-kubernetes-preserve-unknown-fields") and "properties" in schema:
            problems.extend(f"{path}.{k} would be pruned" for k in value if k not in schema["properties"])
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _admits(schema["items"], item, f"{path}[{i}]", problems)


@pytest.mark.parametrize(
    "manifest",
    ["app-multisource-helm.yaml", "app-with-status.yaml", "appproject.yaml", "applicationset.yaml"],
)
def test_realistic_manifests_are_admitted_unchanged(manifest: str) -> None:
    obj = yaml.safe_load((MANIFESTS / manifest).read_text())
    (version,) = by_kind()[obj["kind"]]["spec"]["versions"]
    problems: list[str] = []
    _admits(version["schema"]["openAPIV3Schema"], obj, obj["kind"], problems)
    assert problems == []


def test_application_missing_repo_url_is_refused_by_the_schema() -> None:
    (version,) = by_kind()["Application"]["spec"]["versions"]
    obj = {"metadata": {}, "spec": {"project": "p", "destination": {}, "sources": [{"path": "x"}]}}
    problems: list[str] = []
    _admits(version["schema"]["openAPIV3Schema"], obj, "Application", problems)
    assert problems == ["Application.spec.sources[0].repoURL missing"]


def test_crd_yaml_is_the_same_documents() -> None:
    assert list(yaml.safe_load_all(crd_yaml())) == crd_manifests()
