"""Tracking: which live objects belong to which Application, for each method."""

from __future__ import annotations

from typing import Any

import pytest

from argosy.engine.tracking import (
    DEFAULT_LABEL_KEY,
    INSTALLATION_ID_ANNOTATION,
    TRACKING_ID_ANNOTATION,
    TrackingError,
    TrackingId,
    TrackingMethod,
    TrackingSettings,
    instance_name,
    normalize_for_diff,
    owner_of,
    set_tracking,
    shared_resource,
)

LABEL = TrackingSettings()
ANNOTATION = TrackingSettings(method=TrackingMethod.ANNOTATION)
BOTH = TrackingSettings(method=TrackingMethod.ANNOTATION_AND_LABEL)


def deployment(name: str = "web", namespace: str | None = "prod") -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": {"replicas": 1}}


def test_settings_from_argocd_cm() -> None:
    s = TrackingSettings.from_argocd_cm(
        {
            "application.resourceTrackingMethod": "annotation+label",
            "application.instanceLabelKey": "argocd.argoproj.io/instance",
            "installationID": "east",
        }
    )
    assert s == TrackingSettings(TrackingMethod.ANNOTATION_AND_LABEL, "argocd.argoproj.io/instance", "east")
    assert TrackingSettings.from_argocd_cm({}) == TrackingSettings(
        TrackingMethod.LABEL, DEFAULT_LABEL_KEY, ""
    )


def test_unknown_method_names_the_key_and_the_choices() -> None:
    with pytest.raises(
        TrackingError, match=r"application.resourceTrackingMethod.*'labels'.*annotation\+label"
    ):
        TrackingSettings.from_argocd_cm({"application.resourceTrackingMethod": "labels"})


def test_label_tracking_sets_only_the_label() -> None:
    obj = set_tracking(deployment(), "guestbook", LABEL)
    assert obj["metadata"]["labels"] == {DEFAULT_LABEL_KEY: "guestbook"}
    assert "annotations" not in obj["metadata"]
    assert owner_of(obj, LABEL) == "guestbook"


def test_custom_label_key() -> None:
    settings = TrackingSettings(label_key="example.com/app")
    obj = set_tracking(deployment(), "guestbook", settings)
    assert obj["metadata"]["labels"] == {"example.com/app": "guestbook"}
    assert owner_of(obj, LABEL) is None
    assert owner_of(obj, settings) == "guestbook"


def test_annotation_tracking_id_format() -> None:
    obj = set_tracking(deployment(), "guestbook", ANNOTATION)
    assert obj["metadata"]["annotations"][TRACKING_ID_ANNOTATION] == "guestbook:apps/Deployment:prod/web"
    assert "labels" not in obj["metadata"]
    assert owner_of(obj, ANNOTATION) == "guestbook"


def test_core_group_and_cluster_scoped_object_use_destination_namespace() -> None:
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a"}}
    obj = set_tracking(ns, "guestbook", ANNOTATION, destination_namespace="prod")
    assert obj["metadata"]["annotations"][TRACKING_ID_ANNOTATION] == "guestbook:/Namespace:prod/team-a"
    assert owner_of(obj, ANNOTATION) == "guestbook"


def test_app_outside_control_plane_namespace_is_namespace_qualified() -> None:
    assert instance_name("guestbook", "team-a", "argocd") == "team-a_guestbook"
    assert instance_name("guestbook", "argocd", "argocd") == "guestbook"
    obj = set_tracking(deployment(), instance_name("guestbook", "team-a", "argocd"), ANNOTATION)
    assert obj["metadata"]["annotations"][TRACKING_ID_ANNOTATION].startswith("team-a_guestbook:")


def test_annotation_and_label_truncates_long_label_but_not_annotation() -> None:
    # Cut at 63 characters the name would end in "--", which no label may: trim it.
    long_name = "a" * 61 + "--bcdef"
    obj = set_tracking(deployment(), long_name, BOTH)
    assert obj["metadata"]["labels"][DEFAULT_LABEL_KEY] == "a" * 61
    assert obj["metadata"]["annotations"][TRACKING_ID_ANNOTATION].startswith(long_name + ":")
    assert owner_of(obj, BOTH) == long_name


def test_label_tracking_rejects_an_app_name_too_long_for_a_label() -> None:
    with pytest.raises(TrackingError, match="annotation"):
        set_tracking(deployment(), "x" * 64, LABEL)


def test_copied_object_is_not_adopted_with_annotation_tracking() -> None:
    original = set_tracking(deployment("web"), "guestbook", ANNOTATION)
    copy = {**original, "metadata": {**original["metadata"], "name": "web-copy"}}
    assert owner_of(copy, ANNOTATION) is None
    moved = {**original, "metadata": {**original["metadata"], "namespace": "staging"}}
    assert owner_of(moved, ANNOTATION) is None
    # Label tracking cannot tell a copy apart: the label is all there is.
    labelled = set_tracking(deployment("web"), "guestbook", LABEL)
    labelled_copy = {**labelled, "metadata": {**labelled["metadata"], "name": "web-copy"}}
    assert owner_of(labelled_copy, LABEL) == "guestbook"


def test_api_group_upgrade_keeps_ownership_when_desired_is_known() -> None:
    live = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "web",
            "namespace": "prod",
            "annotations": {TRACKING_ID_ANNOTATION: "guestbook:extensions/Ingress:prod/web"},
        },
    }
    assert owner_of(live, ANNOTATION) is None
    desired = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "web"}}
    assert owner_of(live, ANNOTATION, desired=desired) == "guestbook"


def test_malformed_tracking_id_owns_nothing() -> None:
    live = deployment()
    live["metadata"]["annotations"] = {TRACKING_ID_ANNOTATION: "guestbook:Deployment:web"}
    assert owner_of(live, ANNOTATION) is None
    assert TrackingId.parse("a:b/c:d/e") == TrackingId("a", "b", "c", "d", "e")
    assert TrackingId.parse("a:b:c") is None


def test_installation_id_separates_installations() -> None:
    east = TrackingSettings(method=TrackingMethod.ANNOTATION, installation_id="east")
    west = TrackingSettings(method=TrackingMethod.ANNOTATION, installation_id="west")
    obj = set_tracking(deployment(), "guestbook", east)
    assert obj["metadata"]["annotations"][INSTALLATION_ID_ANNOTATION] == "east"
    assert owner_of(obj, east) == "guestbook"
    assert owner_of(obj, west) is None


def test_shared_resource_warning() -> None:
    live = set_tracking(deployment(), "app-a", ANNOTATION)
    conflict = shared_resource(live, "app-b", ANNOTATION)
    assert conflict is not None
    assert conflict.owner == "app-a" and conflict.claimant == "app-b"
    assert conflict.message == "Deployment/web is part of applications app-a and app-b"
    assert shared_resource(live, "app-a", ANNOTATION) is None
    assert shared_resource(deployment(), "app-b", ANNOTATION) is None
    assert shared_resource(None, "app-b", ANNOTATION) is None


def test_switch_from_label_to_annotation_is_not_drift() -> None:
    live = set_tracking(deployment(), "guestbook", LABEL)
    desired = set_tracking(deployment(), "guestbook", ANNOTATION)
    normalized = normalize_for_diff(desired, live, ANNOTATION)
    assert DEFAULT_LABEL_KEY not in (normalized["metadata"].get("labels") or {})
    assert normalized["metadata"]["annotations"] == desired["metadata"]["annotations"]
    assert DEFAULT_LABEL_KEY in live["metadata"]["labels"]  # input untouched
    assert normalize_for_diff(desired, live, LABEL) is live
