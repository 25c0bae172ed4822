"""resource.exclusions/inclusions matching as Argo CD does it, and per-app exclusions."""

from __future__ import annotations

import pytest

from argosy.kube.exclusions import (
    APP_EXCLUSIONS_ANNOTATION,
    EXCLUSIONS_KEY,
    AppExclusions,
    ExclusionsError,
    ResourceFilter,
    glob_match,
)


@pytest.mark.parametrize(
    ("pattern", "value", "expected"),
    [
        ("*", "", True),
        ("*", "apps", True),
        ("*.example.com", "a.b.example.com", True),
        ("*.example.com", "example.com", False),
        ("Config?ap", "ConfigMap", True),
        ("{apps,batch}", "batch", True),
        ("{apps,batch}", "extensions", False),
        ("[CD]*", "Deployment", True),
        ("[!CD]*", "Deployment", False),
        ("ConfigMap", "configmap", False),
    ],
)
def test_glob(pattern: str, value: str, expected: bool) -> None:
    assert glob_match(pattern, value) is expected


def test_defaults_apply_when_key_absent_and_core_always() -> None:
    f = ResourceFilter.from_argocd_cm({})
    assert f.is_excluded("", "Endpoints")
    assert f.is_excluded("discovery.k8s.io", "EndpointSlice")
    assert f.is_excluded("authentication.k8s.io", "TokenReview")
    assert f.is_excluded("authorization.k8s.io", "SelfSubjectAccessReview")
    assert f.is_excluded("coordination.k8s.io", "Lease")
    assert f.is_excluded("", "Event")
    assert f.is_excluded("events.k8s.io", "Event")
    assert f.is_excluded("metrics.k8s.io", "PodMetrics")
    assert not f.is_excluded("", "ConfigMap")
    assert not f.is_excluded("apps", "Deployment")


def test_setting_the_key_replaces_defaults_but_not_core() -> None:
    f = ResourceFilter.from_argocd_cm({"resource.exclusions": "- apiGroups: [batch]\n  kinds: [Job]\n"})
    assert f.is_excluded("batch", "Job")
    assert not f.is_excluded("", "Endpoints")  # shipped default replaced
    assert f.is_excluded("", "Event")  # core stays


def test_empty_fields_match_everything_and_clusters_match_server_or_name() -> None:
    text = """
- apiGroups: ["*"]
  kinds: [ConfigMap]
  clusters: ["https://prod.*"]
- kinds: [Secret]
  clusters: [staging]
"""
    f = ResourceFilter.from_argocd_cm({"resource.exclusions": text})
    assert f.is_excluded("", "ConfigMap", "https://prod.example.com")
    assert not f.is_excluded("", "ConfigMap", "https://dev.example.com")
    assert f.is_excluded("", "Secret", "https://x", "staging")
    assert not f.is_excluded("", "Secret", "https://x", "prod")


def test_inclusions_exclude_everything_else() -> None:
    f = ResourceFilter.from_argocd_cm(
        {"resource.exclusions": "", "resource.inclusions": "- apiGroups: ['', apps]\n  kinds: ['*']\n"}
    )
    assert not f.is_excluded("apps", "Deployment")
    assert not f.is_excluded("", "ConfigMap")
    assert f.is_excluded("batch", "Job")
    assert f.is_excluded("", "Event")  # core exclusions win over inclusions


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- apiGroups: [a\n", "not valid YAML"),
        ("apiGroups: [apps]", "expected a YAML list"),
        ("- kinds: Deployment\n  clusterz: [x]", "unknown field(s) ['clusterz']"),
        ("- kinds: [1, 2]", "'kinds' must be a list of strings"),
    ],
)
def test_bad_global_rules_name_the_key(text: str, fragment: str) -> None:
    with pytest.raises(ExclusionsError) as err:
        ResourceFilter.from_argocd_cm({"resource.exclusions": text})
    assert "argocd-cm resource.exclusions" in str(err.value)
    assert fragment in str(err.value)


def _app(annotation: str) -> dict[str, object]:
    return {"metadata": {"name": "guestbook", "annotations": {APP_EXCLUSIONS_ANNOTATION: annotation}}}


def test_app_exclusions_match_group_kind_name_namespace() -> None:
    rules = AppExclusions.from_application(
        _app(
            """
- apiGroups: [""]
  kinds: [ConfigMap]
  names: ["*-generated"]
- apiGroups: [batch]
  kinds: ["*"]
  namespaces: [jobs]
"""
        )
    )
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x-generated", "namespace": "a"}}
    other_cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "a"}}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "jobs"}}
    job_elsewhere = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j", "namespace": "web"}}
    assert rules.excludes_object(cm)
    assert not rules.excludes_object(other_cm)
    assert rules.excludes_object(job)
    assert not rules.excludes_object(job_elsewhere)
    assert rules.filter([cm, other_cm, job, job_elsewhere]) == [other_cm, job_elsewhere]


def test_app_without_annotation_excludes_nothing() -> None:
    rules = AppExclusions.from_application({"metadata": {"name": "a"}})
    assert not rules
    assert not rules.excludes("", "ConfigMap", "ns", "x")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("- kinds: [ConfigMap]\n  clusters: ['*']", "drop 'clusters'"),
        ("- {}", "empty rule would exclude everything"),
        ("- names: 3", "'names' must be a list of strings"),
    ],
)
def test_bad_app_rules_name_the_app_and_annotation(text: str, fragment: str) -> None:
    with pytest.raises(ExclusionsError) as err:
        AppExclusions.from_application(_app(text))
    assert "Application 'guestbook' annotation argosy.io/resource-exclusions[0]" in str(err.value)
    assert fragment in str(err.value)


def test_the_same_rules_give_the_same_filter_and_its_answers() -> None:
    """Every comparison asks for the filter: one per rule set keeps its memo of answers."""
    rules = {EXCLUSIONS_KEY: "- apiGroups: ['']\n  kinds: [ConfigMap]\n"}
    first = ResourceFilter.from_argocd_cm(rules)
    assert ResourceFilter.from_argocd_cm(dict(rules, other="x")) is first
    assert first.is_excluded("", "ConfigMap") and not first.is_excluded("", "Secret")
    changed = ResourceFilter.from_argocd_cm({EXCLUSIONS_KEY: "- kinds: [Secret]\n"})
    assert changed is not first and changed.is_excluded("", "Secret")
    assert not changed.is_excluded("", "ConfigMap")
    assert ResourceFilter.from_argocd_cm({}) is ResourceFilter.from_argocd_cm({"unrelated": "1"})
