"""Application views: Argo CD manifests survive a round trip; bad input becomes errors, not exceptions."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from argosy.model import (
    RESOURCES_FINALIZER,
    Application,
    ApplicationConditionType,
    HealthStatusCode,
    OperationPhase,
    SyncPolicy,
    SyncPolicyAutomated,
    SyncStatusCode,
)
from argosy.model.status import ApplicationCondition

MANIFESTS = Path(__file__).parent / "manifests"


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((MANIFESTS / name).read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("name", ["app-multisource-helm.yaml", "app-with-status.yaml"])
def test_round_trip_is_exact(name: str) -> None:
    data = load(name)
    original = copy.deepcopy(data)
    app = Application.from_dict(data)
    assert app.errors == []
    assert app.to_dict() == original
    assert list(app.to_dict()["spec"]) == list(original["spec"]), "key order is kept"
    assert data == original, "reading does not modify the input"


def test_multi_source_helm_fields_are_typed() -> None:
    app = Application.from_dict(load("app-multisource-helm.yaml"))
    spec = app.spec
    assert spec.has_multiple_sources
    chart, values = spec.get_sources()
    assert chart.repo_url == "https://charts.example.com/stable"
    assert chart.is_helm_repo and chart.revision == "1.4.2"
    assert chart.helm is not None
    assert chart.helm.values_object == {
        "replicaCount": 3,
        "ingress": {"enabled": True, "hosts": [{"host": "guestbook.example.com", "paths": ["/"]}]},
        "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
    }
    assert chart.helm.value_files == ["$values/envs/prod/values.yaml"]
    assert [(p.name, p.value, p.force_string) for p in chart.helm.parameters] == [
        ("image.tag", "v1.2.3", False),
        ("service.port", "8080", True),
    ]
    assert values.ref == "values" and values.revision == "main" and values.helm is None
    assert spec.destination.name == "prod-eu" and spec.destination.server == ""
    assert spec.automated
    assert spec.sync_policy is not None and spec.sync_policy.automated is not None
    assert spec.sync_policy.automated.self_heal is True
    assert spec.sync_policy.retry is not None and spec.sync_policy.retry.backoff is not None
    assert spec.sync_policy.retry.backoff.factor == 2
    assert spec.sync_policy.managed_namespace_metadata is not None
    assert spec.sync_policy.managed_namespace_metadata.labels == {"env": "prod"}
    assert spec.ignore_differences[1].jq_path_expressions == [".webhooks[]?.clientConfig.caBundle"]
    assert app.revision_history_limit == 3
    assert app.cascades_on_delete


def test_status_and_operation_are_typed() -> None:
    app = Application.from_dict(load("app-with-status.yaml"))
    st = app.status
    assert st.sync.status == SyncStatusCode.OUT_OF_SYNC
    assert st.health.status == HealthStatusCode.PROGRESSING
    assert [r.requires_pruning for r in st.resources] == [False, False, True]
    assert st.resources[1].health is not None and st.resources[1].sync_wave == 1
    assert st.summary.external_urls == ["https://podinfo.example.com"]
    cond = st.condition(ApplicationConditionType.SHARED_RESOURCE_WARNING)
    assert cond is not None and not ApplicationConditionType(cond.type).is_error
    assert st.operation_state is not None
    assert st.operation_state.phase == OperationPhase.RUNNING
    assert not OperationPhase(st.operation_state.phase).completed
    assert st.operation_state.sync_result is not None
    assert st.operation_state.sync_result.resources[0].hook_phase == "Running"
    assert [h.id for h in st.history] == [0, 1]
    assert st.history[0].initiated_by is not None and st.history[0].initiated_by.automated
    assert app.operation is not None and app.operation.sync is not None
    assert app.operation.sync.sync_strategy is not None and app.operation.sync.sync_strategy.hook is not None
    assert app.operation.sync.resources[0].name == "prod-podinfo"
    assert app.operation.initiated_by.username == "admin"
    assert app.has_post_delete_finalizer and app.cascades_on_delete
    assert app.metadata.generation == 17 and app.qualified_name == "argocd/podinfo"


def test_changes_touch_only_the_changed_fields() -> None:
    data = load("app-with-status.yaml")
    app = Application.from_dict(data)
    app.status.sync.status = SyncStatusCode.SYNCED
    app.status.health.status = HealthStatusCode.HEALTHY
    app.status.conditions.append(ApplicationCondition(type="ComparisonError", message="boom"))
    app.operation = None
    out = app.to_dict()
    assert "operation" not in out
    assert out["status"]["sync"] == {**data["status"]["sync"], "status": "Synced"}
    assert out["status"]["health"] == {"status": "Healthy", "lastTransitionTime": "2025-03-02T08:00:03Z"}
    assert out["status"]["conditions"][-1] == {"type": "ComparisonError", "message": "boom"}
    assert out["spec"] == data["spec"] and out["metadata"] == data["metadata"]


def test_defaults_are_not_written_but_explicit_values_are() -> None:
    data = load("app-with-status.yaml")
    del data["operation"], data["status"]
    app = Application.from_dict(data)
    assert app.spec.sync_policy is None and not app.spec.automated
    app.spec.sync_policy = SyncPolicy(automated=SyncPolicyAutomated())
    out = app.to_dict()
    # ``automated: {}`` means on (Argo CD): presence is kept even when empty.
    assert out["spec"]["syncPolicy"] == {"automated": {}}
    assert "status" not in out
    again = Application.from_dict(out)
    assert again.spec.automated and again.errors == []


def test_explicit_false_and_null_survive() -> None:
    data = load("app-with-status.yaml")
    data["spec"]["syncPolicy"] = {"automated": {"prune": False, "selfHeal": False, "enabled": False}}
    data["spec"]["source"]["helm"] = None
    app = Application.from_dict(data)
    assert app.errors == []
    assert not app.spec.automated, "enabled: false turns auto-sync off"
    assert app.to_dict() == data


def test_new_application_gets_api_version_and_kind() -> None:
    app = Application()
    app.metadata.name = "demo"
    app.spec.project = "default"
    out = app.to_dict()
    assert out["apiVersion"] == "argoproj.io/v1alpha1" and out["kind"] == "Application"
    assert out["metadata"] == {"name": "demo"}
    app.metadata.finalizers.append(RESOURCES_FINALIZER)
    assert app.to_dict()["metadata"]["finalizers"] == [RESOURCES_FINALIZER]


BAD: dict[str, Any] = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "bad", "labels": {"n": 3}},
    "spec": {
        "project": "default",
        "destination": {"server": "https://kubernetes.default.svc", "name": "in-cluster"},
        "sources": [
            {"repoURL": "https://git.example.com/a.git", "ref": "v"},
            {"path": "x", "helm": {"valueFiles": "values.yaml"}},
            "not-an-object",
            {"repoURL": "https://git.example.com/b.git", "ref": "v", "chart": "c", "path": "p"},
        ],
        "syncPolicy": {"automated": {"prune": "yes"}, "syncOptions": ["A=true", 5]},
        "revisionHistoryLimit": "10",
    },
    "status": {"sync": {"status": 1}, "history": [{"id": "zero"}]},
}


def test_bad_input_collects_errors_with_field_paths() -> None:
    app = Application.from_dict(copy.deepcopy(BAD))
    assert app.errors == [
        "metadata.labels.n: expected string, got integer",
        "spec.sources[1].repoURL is required",
        "spec.sources[1].helm.valueFiles: expected array, got string",
        "spec.sources[2]: expected object, got string",
        "spec.sources[3]: set chart (Helm repository) or path (Git), not both",
        "spec.syncPolicy.automated.prune: expected boolean, got string",
        "spec.syncPolicy.syncOptions[1]: expected string, got integer",
        "spec.revisionHistoryLimit: expected integer, got string",
        "spec.destination: set name or server, not both",
        "spec.sources: ref 'v' is used more than once",
        "status.sync.status: expected string, got integer",
        "status.history[0].id: expected integer, got string",
    ]
    # What could not be read is kept, never lost.
    assert app.to_dict() == BAD
    assert app.spec.revision_history_limit is None and app.revision_history_limit == 10


def test_missing_required_fields() -> None:
    app = Application.from_dict({"metadata": {"name": "x"}, "spec": {"destination": {}, "source": {}}})
    assert app.errors == [
        "spec.source.repoURL is required",
        "spec.project is required",
        "spec.destination: set name or server",
    ]
    assert Application.from_dict({"metadata": {}}).errors == ["spec is required"]
    assert Application.from_dict({"spec": {"project": "p", "destination": {"server": "s"}}}).errors == [
        "spec: set source or sources"
    ]


def test_empty_required_string_is_an_error() -> None:
    app = Application.from_dict(
        {"spec": {"project": "", "destination": {"server": "s"}, "source": {"repoURL": ""}}}
    )
    assert sorted(app.errors) == ["spec.project is required", "spec.source.repoURL is required"]


@pytest.mark.parametrize(("junk", "word"), [(None, "null"), ([], "array"), ("app", "string"), (3, "integer")])
def test_not_an_object_does_not_raise(junk: Any, word: str) -> None:
    app = Application.from_dict(junk)
    assert app.errors == [f"Application: expected object, got {word}"]
    assert app.to_dict() == {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application"}


def test_wrong_kind_is_reported() -> None:
    data = load("app-with-status.yaml")
    data["kind"] = "AppProject"
    data["apiVersion"] = "argoproj.io/v1beta1"
    app = Application.from_dict(data)
    assert app.errors == [
        "apiVersion: expected argoproj.io/v1alpha1, got 'argoproj.io/v1beta1'",
        "kind: expected Application, got 'AppProject'",
    ]


def test_nested_errors_are_also_on_the_nested_view() -> None:
    app = Application.from_dict(copy.deepcopy(BAD))
    assert app.spec.sync_policy is not None and app.spec.sync_policy.automated is not None
    assert app.spec.sync_policy.automated.errors == [
        "spec.syncPolicy.automated.prune: expected boolean, got string"
    ]
