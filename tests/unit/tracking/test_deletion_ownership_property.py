"""Property: an app may delete only what its own tracking metadata names.

Random worlds of live objects at overlapping keys, with random tracking
labels, tracking-id annotations (right, copied from another object, garbage),
installation IDs and tracking settings: for every app, the set it may delete
(:func:`argosy.engine.tracking.may_delete`) never holds an object tracked by
another app, an untracked object, or one of another installation.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from argosy.engine.tracking import (
    DEFAULT_LABEL_KEY,
    INSTALLATION_ID_ANNOTATION,
    TRACKING_ID_ANNOTATION,
    TrackingMethod,
    TrackingSettings,
    may_delete,
)

APPS = ["shop", "child-micro", "probe-micro", "ns_app", "time-coffee-evil"]
KEYS = [
    ("apps", "Deployment", "web", "backend"),
    ("apps", "Deployment", "web", "frontend"),
    ("", "ConfigMap", "web", "settings"),
    ("rbac.authorization.k8s.io", "ClusterRole", "", "reader"),
]
INSTALLATIONS = [None, "blue", "green"]


@st.composite
def live_object(draw: st.DrawFn) -> dict[str, Any]:
    group, kind, namespace, name = draw(st.sampled_from(KEYS))
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    labels: dict[str, str] = {}
    notes: dict[str, str] = {}
    label = draw(st.sampled_from([None, "", "garbage", *APPS]))
    if label is not None:
        labels[draw(st.sampled_from([DEFAULT_LABEL_KEY, "argocd.argoproj.io/instance"]))] = label
    tid_kind = draw(st.sampled_from(["none", "self", "copy", "garbage"]))
    tid_app = draw(st.sampled_from(APPS))
    if tid_kind == "self":
        notes[TRACKING_ID_ANNOTATION] = f"{tid_app}:{group}/{kind}:{namespace or 'web'}/{name}"
    elif tid_kind == "copy":
        notes[TRACKING_ID_ANNOTATION] = f"{tid_app}:{group}/{kind}:{namespace or 'web'}/{name}-original"
    elif tid_kind == "garbage":
        notes[TRACKING_ID_ANNOTATION] = draw(st.sampled_from(["", tid_app, f"{tid_app}:x", ":::"]))
    installation = draw(st.sampled_from(INSTALLATIONS))
    if installation:
        notes[INSTALLATION_ID_ANNOTATION] = installation
    if labels:
        meta["labels"] = labels
    if notes:
        meta["annotations"] = notes
    api_version = f"{group}/v1" if group else "v1"
    return {"apiVersion": api_version, "kind": kind, "metadata": meta}


tracking_settings = st.builds(
    TrackingSettings,
    method=st.sampled_from(list(TrackingMethod)),
    label_key=st.sampled_from([DEFAULT_LABEL_KEY, "argocd.argoproj.io/instance"]),
    installation_id=st.sampled_from(["", "blue"]),
)


def names_itself(obj: dict[str, Any], value: str) -> str | None:
    """The app a tracking id names, when the id names ``obj`` itself (test oracle)."""
    parts = value.split(":", 2)
    if len(parts) != 3 or "/" not in parts[1] or "/" not in parts[2]:
        return None
    group, kind = parts[1].split("/", 1)
    namespace, name = parts[2].split("/", 1)
    meta = obj["metadata"]
    own_group = obj["apiVersion"].rsplit("/", 1)[0] if "/" in obj["apiVersion"] else ""
    same = (group, kind, name) == (own_group, obj["kind"], meta["name"])
    return parts[0] if same and meta.get("namespace", namespace) == namespace and parts[0] else None


def true_owner(obj: dict[str, Any], s: TrackingSettings) -> str | None:
    """Who owns ``obj`` by Argo CD's contract, written independently of the code under test."""
    meta = obj["metadata"]
    notes = meta.get("annotations") or {}
    if s.installation_id and notes.get(INSTALLATION_ID_ANNOTATION) != s.installation_id:
        return None
    if s.method is TrackingMethod.LABEL:
        return (meta.get("labels") or {}).get(s.label_key) or None
    return names_itself(obj, notes.get(TRACKING_ID_ANNOTATION, ""))


@settings(max_examples=400, deadline=None)
@given(world=st.lists(live_object(), min_size=1, max_size=12), tracking=tracking_settings)
def test_an_app_may_delete_only_objects_its_tracking_names(
    world: list[dict[str, Any]], tracking: TrackingSettings
) -> None:
    for app in APPS:
        for obj in world:
            verdict = may_delete(obj, app, tracking)
            owner = true_owner(obj, tracking)
            assert verdict.allowed == (owner == app), (app, obj, verdict)
            if not verdict.allowed:
                assert verdict.reason  # every skip says why


@settings(max_examples=200, deadline=None)
@given(obj=live_object(), tracking=tracking_settings)
def test_at_most_one_app_may_delete_an_object_and_untracked_objects_none(
    obj: dict[str, Any], tracking: TrackingSettings
) -> None:
    allowed = [app for app in APPS if may_delete(obj, app, tracking).allowed]
    assert len(allowed) <= 1
    meta = obj["metadata"]
    if not meta.get("labels") and TRACKING_ID_ANNOTATION not in (meta.get("annotations") or {}):
        assert allowed == []
