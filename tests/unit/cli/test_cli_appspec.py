"""Flags of app create/set/unset mapped onto the Application spec as argocd maps them."""

from __future__ import annotations

import pytest

from argosy.cli.commands.appspec import SourceFlags, apply_flags, new_application, sync_policy_text, unset
from argosy.cli.commands.backend import CliError


def _app() -> dict:  # type: ignore[type-arg]
    app = new_application("web", "", {}, {})
    return apply_flags(
        app,
        SourceFlags(
            repo="file:///r.git",
            path="chart",
            dest_server="https://kubernetes.default.svc",
            dest_namespace="web",
            project="default",
        ),
    )


def test_create_flags_build_source_destination_and_policy() -> None:
    app = apply_flags(
        _app(),
        SourceFlags(
            sync_policy="automated",
            auto_prune=True,
            self_heal=True,
            sync_options=["CreateNamespace=true"],
            helm_sets=["replicas=3"],
            values=["prod.yaml"],
        ),
    )
    spec = app["spec"]
    assert spec["source"] == {
        "repoURL": "file:///r.git",
        "path": "chart",
        "helm": {"parameters": [{"name": "replicas", "value": "3"}], "valueFiles": ["prod.yaml"]},
    }
    assert spec["destination"] == {"server": "https://kubernetes.default.svc", "namespace": "web"}
    assert spec["syncPolicy"] == {
        "automated": {"prune": True, "selfHeal": True},
        "syncOptions": ["CreateNamespace=true"],
    }
    assert sync_policy_text(spec) == "Auto-Prune"


def test_sync_policy_none_removes_automated_and_manual_is_shown() -> None:
    auto = apply_flags(_app(), SourceFlags(sync_policy="automated"))
    assert sync_policy_text(auto["spec"]) == "Auto"
    manual = apply_flags(auto, SourceFlags(sync_policy="none"))
    assert "syncPolicy" not in manual["spec"]
    assert sync_policy_text(manual["spec"]) == "Manual"


def test_auto_prune_without_automated_sync_says_what_to_add() -> None:
    with pytest.raises(CliError, match="--sync-policy automated"):
        apply_flags(_app(), SourceFlags(auto_prune=True))


def test_parameter_is_a_helm_parameter_replacing_the_same_name() -> None:
    app = _app()
    app["status"] = {"sourceType": "Helm"}
    once = apply_flags(app, SourceFlags(parameters=["image.tag=v1"]))
    twice = apply_flags(once, SourceFlags(parameters=["image.tag=v2"]))
    assert twice["spec"]["source"]["helm"]["parameters"] == [{"name": "image.tag", "value": "v2"}]
    assert app["spec"]["source"].get("helm") is None  # the input is not modified


def test_parameter_on_a_non_helm_source_is_refused() -> None:
    app = _app()
    app["status"] = {"sourceType": "Kustomize"}
    with pytest.raises(CliError, match="Helm"):
        apply_flags(app, SourceFlags(parameters=["image.tag=v2"]))


def test_kustomize_images_replace_by_name_and_unset_removes_them() -> None:
    app = apply_flags(_app(), SourceFlags(kustomize_images=["nginx=nginx:1.25", "redis:7"]))
    app = apply_flags(app, SourceFlags(kustomize_images=["nginx=nginx:1.26"]))
    assert app["spec"]["source"]["kustomize"]["images"] == ["redis:7", "nginx=nginx:1.26"]
    cleared, changed = unset(
        app,
        parameters=[],
        values=[],
        kustomize_images=["nginx", "redis"],
        name_prefix=False,
        name_suffix=False,
        sync_options=[],
    )
    assert changed and "kustomize" not in cleared["spec"]["source"]


def test_destination_is_server_or_name_never_both() -> None:
    by_name = apply_flags(_app(), SourceFlags(dest_name="second"))
    assert by_name["spec"]["destination"] == {"name": "second", "namespace": "web"}
    with pytest.raises(CliError, match="cannot both"):
        apply_flags(_app(), SourceFlags(dest_name="a", dest_server="https://b"))


def test_bad_key_value_flags_name_the_flag() -> None:
    with pytest.raises(CliError, match="--helm-set expects KEY=VALUE"):
        apply_flags(_app(), SourceFlags(helm_sets=["novalue"]))
