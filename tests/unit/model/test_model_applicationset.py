"""ApplicationSet views: generators and template are typed and round trip; policy values are checked."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from argosy.model import ApplicationSet, ApplicationsSyncPolicy

MANIFESTS = Path(__file__).parent / "manifests"


def load() -> dict[str, Any]:
    data = yaml.safe_load((MANIFESTS / "applicationset.yaml").read_text())
    assert isinstance(data, dict)
    return data


def test_round_trip_is_exact() -> None:
    data = load()
    appset = ApplicationSet.from_dict(copy.deepcopy(data))
    assert appset.errors == []
    assert appset.to_dict() == data


def test_fields_are_typed() -> None:
    data = load()
    appset = ApplicationSet.from_dict(data)
    spec = appset.spec
    assert spec.go_template and spec.go_template_options == ["missingkey=error"]
    (matrix,) = [g.matrix for g in spec.generators]
    assert matrix is not None
    git, clusters = matrix.generators
    assert git.git is not None and git.git.repo_url == "https://github.com/argoproj/argo-cd.git"
    assert [d.path for d in git.git.directories] == ["applicationset/examples/matrix/cluster-addons/*"]
    assert clusters.clusters is not None and clusters.clusters.selector is not None
    assert clusters.clusters.selector.match_labels == {"env": "prod"}
    assert spec.template.metadata.name == "{{.path.basename}}-{{.name}}"
    assert spec.template.spec.source is not None
    assert spec.template.spec.source.path == "{{.path.path}}"
    assert spec.template_patch is not None and "automated" in spec.template_patch
    assert spec.sync_policy is not None
    assert spec.sync_policy.applications_sync == ApplicationsSyncPolicy.CREATE_UPDATE
    assert spec.sync_policy.preserve_resources_on_deletion
    assert spec.strategy is not None and spec.strategy.type == "RollingSync"
    assert spec.strategy.rolling_sync is not None
    assert [s.max_update for s in spec.strategy.rolling_sync.steps] == [None, "10%"]
    cond = appset.status.conditions[0]
    assert (cond.type, cond.status, cond.reason) == ("ResourcesUpToDate", "True", "ApplicationSetUpToDate")


def test_editing_the_template_keeps_the_rest() -> None:
    data = load()
    appset = ApplicationSet.from_dict(data)
    appset.spec.template.spec.project = "addons"
    out = appset.to_dict()
    assert out["spec"]["template"]["spec"]["project"] == "addons"
    assert data["spec"]["template"]["spec"]["project"] == "default"
    out["spec"]["template"]["spec"]["project"] = "default"
    assert out == data


def test_bad_input_is_reported() -> None:
    bad: dict[str, Any] = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "x"},
        "spec": {
            "generators": [{}, "list"],
            "syncPolicy": {"applicationsSync": "delete-everything"},
            "strategy": {"type": "RollingSync"},
            "goTemplate": "true",
        },
    }
    appset = ApplicationSet.from_dict(copy.deepcopy(bad))
    assert appset.errors == [
        "spec.generators[1]: expected object, got string",
        "spec.template is required",
        "spec.goTemplate: expected boolean, got string",
        "spec.syncPolicy.applicationsSync: must be one of create-only, create-update, create-delete, sync",
        "spec.strategy.rollingSync is required when type is RollingSync",
        "spec.generators[0]: names no generator",
    ]
    assert appset.to_dict() == bad
