"""The tutorial's ApplicationSets, generated offline: ``argosy appset generate|params -f FILE --offline``.

These run the same generation path as the controller (``generate_applications``),
with clusters and projects from files, and need no cluster.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from argosy.appset.generate import generate_applications
from argosy.appset.generators import GenerateContext
from argosy.appset.validate import known_clusters
from argosy.cli.appset import appset_app

TUTORIAL_LIST = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "ApplicationSet",
    "metadata": {"name": "versioned-coffee", "namespace": "argocd"},
    "spec": {
        "generators": [
            {
                "list": {
                    "elements": [
                        {"namespace": ns, "tag": tag}
                        for ns, tag in (("dev", "1.0"), ("test", "1.1"), ("staging", "1.2"), ("prod", "1.2"))
                    ]
                }
            }
        ],
        "template": {
            "metadata": {"name": "versioned-coffee-{{namespace}}"},
            "spec": {
                "project": "default",
                "source": {
                    "repoURL": "http://127.0.0.1:3000/coffee.git",
                    "path": "chart",
                    "helm": {"parameters": [{"name": "image.tag", "value": "{{tag}}"}]},
                },
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "{{namespace}}"},
            },
        },
    },
}


def _cluster_secret(secret_name: str, name: str, server: str, labels: dict[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name,
            "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": "cluster", **labels},
        },
        "stringData": {"name": name, "server": server},
    }


SECRETS = [
    _cluster_secret("prod", "admin@production-cluster-v1", "https://10.0.0.2:6443", {"app": "coffee"}),
    _cluster_secret("stage", "staging", "https://10.0.0.3:6443", {"app": "coffee", "env": "staging"}),
    _cluster_secret("other", "other", "https://10.0.0.4:6443", {}),
]


def _cluster_appset(name_param: str, selector: dict[str, Any] | None) -> dict[str, Any]:
    gen: dict[str, Any] = {"clusters": {"selector": selector} if selector is not None else {}}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "simple-coffee", "namespace": "argocd"},
        "spec": {
            "generators": [gen],
            "template": {
                "metadata": {"name": f"simple-coffee-{{{{{name_param}}}}}"},
                "spec": {
                    "project": "default",
                    "source": {"repoURL": "http://127.0.0.1:3000/coffee.git", "path": "manifests"},
                    "destination": {"server": "{{server}}", "namespace": "coffee"},
                },
            },
        },
    }


def _generate(appset: dict[str, Any], secrets: list[dict[str, Any]] | None = None) -> Any:
    secrets = secrets or []
    ctx = GenerateContext(cluster_secrets=secrets)
    return generate_applications(appset, ctx, known_clusters(secrets), ["default"])


def _write(tmp_path: Path, name: str, docs: list[dict[str, Any]]) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump_all(docs))
    return path


def test_list_generator_makes_the_four_versioned_coffee_apps_with_their_image_tag() -> None:
    result = _generate(TUTORIAL_LIST)
    assert result.errors == []
    tags = {
        a["metadata"]["name"]: a["spec"]["source"]["helm"]["parameters"][0]["value"]
        for a in result.applications
    }
    assert tags == {
        "versioned-coffee-dev": "1.0",
        "versioned-coffee-test": "1.1",
        "versioned-coffee-staging": "1.2",
        "versioned-coffee-prod": "1.2",
    }
    assert all(
        a["metadata"]["finalizers"] == ["resources-finalizer.argocd.argoproj.io"] for a in result.applications
    )


def test_cluster_selector_picks_labelled_clusters_and_the_bad_name_gets_a_normalisation_hint() -> None:
    result = _generate(_cluster_appset("name", {"matchLabels": {"app": "coffee"}}), SECRETS)
    assert [a["metadata"]["name"] for a in result.applications] == ["simple-coffee-staging"]
    assert result.invalid_applications == ["simple-coffee-admin@production-cluster-v1"]
    assert "nameNormalized" in result.errors[0] and "generators[0] (clusters)" in result.errors[0]
    assert result.failed_generators == []  # an invalid app is not a failed generator


def test_name_normalized_fixes_the_tutorial_wart_without_renaming_the_secret() -> None:
    result = _generate(_cluster_appset("nameNormalized", {"matchLabels": {"app": "coffee"}}), SECRETS)
    assert result.errors == []
    assert {a["metadata"]["name"]: a["spec"]["destination"]["server"] for a in result.applications} == {
        "simple-coffee-admin-production-cluster-v1": "https://10.0.0.2:6443",
        "simple-coffee-staging": "https://10.0.0.3:6443",
    }


def test_clusters_without_selector_include_in_cluster_and_match_expressions_filter() -> None:
    every = _generate(_cluster_appset("nameNormalized", None), SECRETS)
    assert len(every.applications) == 4
    assert every.applications[-1]["metadata"]["name"] == "simple-coffee-in-cluster"
    expr = {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["staging"]}]}
    picked = _generate(_cluster_appset("nameNormalized", expr), SECRETS)
    assert sorted(a["metadata"]["name"] for a in picked.applications) == [
        "simple-coffee-admin-production-cluster-v1",
        "simple-coffee-other",
    ]


def test_a_generator_error_is_a_failure_not_zero_applications() -> None:
    appset = json.loads(json.dumps(TUTORIAL_LIST))
    appset["spec"]["goTemplate"] = True
    appset["spec"]["goTemplateOptions"] = ["missingkey=error"]
    appset["spec"]["template"]["metadata"]["name"] = "versioned-coffee-{{.nmespace}}"
    result = _generate(appset)
    assert result.applications == []
    assert result.failed_generators == [0]
    assert "nmespace" in result.errors[0]


def test_unknown_project_is_refused_with_its_name() -> None:
    appset = json.loads(json.dumps(TUTORIAL_LIST))
    appset["spec"]["template"]["spec"]["project"] = "coffee"
    result = _generate(appset)
    assert result.applications == [] and "project coffee which does not exist" in result.errors[0]


def test_cli_generate_offline_prints_apps_and_exits_non_zero_on_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(
        appset_app, ["generate", "-f", str(_write(tmp_path, "l.yaml", [TUTORIAL_LIST])), "--offline"]
    )
    assert ok.exit_code == 0, ok.output
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(ok.stdout)]
    assert names[0] == "versioned-coffee-dev" and len(names) == 4
    bad = runner.invoke(
        appset_app,
        [
            "generate",
            "-f",
            str(_write(tmp_path, "c.yaml", [_cluster_appset("name", {"matchLabels": {"app": "coffee"}})])),
            "--offline",
            "--clusters-file",
            str(_write(tmp_path, "s.yaml", SECRETS)),
            "-o",
            "json",
        ],
    )
    assert bad.exit_code == 1
    assert "nameNormalized" in bad.output


def test_cli_params_lists_each_generators_parameter_sets(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        appset_app,
        [
            "params",
            "-f",
            str(
                _write(
                    tmp_path,
                    "c.yaml",
                    [_cluster_appset("nameNormalized", {"matchLabels": {"env": "staging"}})],
                )
            ),
            "--offline",
            "--clusters-file",
            str(_write(tmp_path, "s.yaml", SECRETS)),
            "-o",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    params = json.loads(result.stdout)
    assert [[p["nameNormalized"] for p in sets] for sets in params] == [["staging"]]


def test_a_project_that_does_not_allow_the_destination_refuses_the_app() -> None:
    team = {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "team", "namespace": "argocd"},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "https://kubernetes.default.svc", "namespace": "dev"}],
        },
    }
    appset = json.loads(json.dumps(TUTORIAL_LIST))
    appset["spec"]["template"]["spec"]["project"] = "team"
    result = generate_applications(appset, GenerateContext(), known_clusters([]), {"team": team}, "argocd")
    assert [a["metadata"]["name"] for a in result.applications] == ["versioned-coffee-dev"]
    assert len(result.errors) == 3 and "do not match any of the allowed destinations" in result.errors[0]


def test_a_generated_app_cannot_leave_its_sets_namespace() -> None:
    appset = json.loads(json.dumps(TUTORIAL_LIST))
    appset["metadata"]["namespace"] = "team-a"
    appset["spec"]["template"]["metadata"]["namespace"] = "argocd"
    result = _generate(appset)
    assert result.applications == [] and "stay in their set's namespace" in result.errors[0]
