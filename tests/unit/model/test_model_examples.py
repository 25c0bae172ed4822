"""The views are complete: Argo CD manifests using every spec field read, round-trip and are admitted."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from argosy.model import Application, ApplicationSet, AppProject, View, crd_manifests
from support import admission
from support.argocd_examples import argocd_examples

VIEWS: dict[str, type[View]] = {
    "Application": Application,
    "AppProject": AppProject,
    "ApplicationSet": ApplicationSet,
}
EXAMPLES = argocd_examples()


def _schema(kind: str) -> dict[str, Any]:
    (crd,) = [c for c in crd_manifests() if c["spec"]["names"]["kind"] == kind]
    (version,) = crd["spec"]["versions"]
    schema = version["schema"]["openAPIV3Schema"]
    assert isinstance(schema, dict)
    return schema


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["metadata"]["name"] for e in EXAMPLES])
def test_example_reads_without_error_and_round_trips(example: dict[str, Any]) -> None:
    view = VIEWS[example["kind"]].from_dict(copy.deepcopy(example))
    assert view.errors == []
    assert view.to_dict() == example


@pytest.mark.parametrize("example", EXAMPLES, ids=[e["metadata"]["name"] for e in EXAMPLES])
def test_example_is_admitted_by_the_generated_schema(example: dict[str, Any]) -> None:
    assert admission.problems(_schema(example["kind"]), example, example["kind"]) == []


# The same views appear at several places of a schema (a source in spec.source, spec.sources[],
# the dry source; a generator at the top and nested in matrix/merge): one use covers them all.
_SAME_VIEW = [
    (r"^\.spec\.sources\[\]", ".spec.source"),
    (r"^\.spec\.sourceHydrator\.drySource\.(helm|kustomize|directory|plugin)", r".spec.source.\1"),
    (r"\.jsonnet\.tlas\[\]", ".jsonnet.extVars[]"),
    (r"\.(clusterResourceBlacklist|namespaceResource(White|Black)list)\[\]", ".clusterResourceWhitelist[]"),
    (r"^\.spec\.generators\[\]\.(matrix|merge)\.generators\[\]", ".spec.generators[]"),
    (r"^\.spec\.generators\[\]\.\w+\.template", ".spec.template"),
    (r"\.(clusterDecisionResource\.labelSelector|clusters\.selector)", ".selector"),
    (r"\.git\.files\[\]", ".git.directories[]"),
    (r"\.(bearerToken|basicAuth\.passwordRef|appPasswordRef|accessTokenRef)", ".tokenRef"),
]


def _normal(path: str) -> str:
    for pattern, replacement in _SAME_VIEW:
        path = re.sub(pattern, replacement, path)
    return path


def _declared(schema: dict[str, Any], path: str, out: set[str]) -> None:
    for name, sub in schema.get("properties", {}).items():
        out.add(_normal(f"{path}.{name}"))
        _declared(sub, f"{path}.{name}", out)
    if isinstance(schema.get("items"), dict):
        _declared(schema["items"], f"{path}[]", out)


def _used(value: Any, path: str, out: set[str]) -> None:
    if isinstance(value, dict):
        for name, sub in value.items():
            out.add(_normal(f"{path}.{name}"))
            _used(sub, f"{path}.{name}", out)
    elif isinstance(value, list):
        for item in value:
            _used(item, f"{path}[]", out)


@pytest.mark.parametrize("kind", ["Application", "AppProject", "ApplicationSet"])
def test_examples_use_every_spec_field(kind: str) -> None:
    """So a field the views misspell is caught by the tests above, not by a user."""
    declared: set[str] = set()
    _declared(_schema(kind)["properties"]["spec"], ".spec", declared)
    used: set[str] = set()
    for example in EXAMPLES:
        if example["kind"] == kind:
            _used(example["spec"], ".spec", used)
    # A template is an Application spec, covered by the Application examples.
    missing = sorted(p for p in declared - used if ".template.spec." not in p)
    assert missing == []
