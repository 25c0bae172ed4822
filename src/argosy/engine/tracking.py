"""Which live objects belong to which Application.

Argosy marks every object it applies, as Argo CD does, in one of three ways
chosen by ``application.resourceTrackingMethod`` in ``argocd-cm``:

* ``label`` (the default here, as in Argo CD 2.x): the label
  ``app.kubernetes.io/instance: <app>`` (key overridable with
  ``application.instanceLabelKey``). Simple, but other tools (Helm charts)
  set the same label, and values are limited to 63 characters.
* ``annotation`` (Argo CD 3.x's default): the annotation
  ``argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<namespace>/<name>``.
  Because it names the object itself, a copy of the object (``kubectl get -o
  yaml`` edited and re-applied under a new name) is not adopted: the id no
  longer matches the object.
* ``annotation+label``: the annotation decides; the label is also written
  (truncated to 63 characters) for tools that select by it.

An Application outside the control-plane namespace is known as
``<namespace>_<name>``. When ``installationID`` is set in ``argocd-cm``, objects
carry ``argocd.argoproj.io/installation-id`` too, and objects of another
installation sharing the cluster are not ours.

Ownership decides what an app may **delete**. Cascade deletion, prune, hook
clean-up, ``Replace=true``/``Force=true`` (delete and re-create) and
termination all ask :func:`may_delete` first: an object is deleted only when
its tracking metadata names this app (and this installation). An object that
merely sits at a key the app renders — tracked by another app, or by nobody —
is never deleted; the caller reports it as skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from argosy.engine.jsoncopy import json_copy

TRACKING_ID_ANNOTATION = "argocd.argoproj.io/tracking-id"
INSTALLATION_ID_ANNOTATION = "argocd.argoproj.io/installation-id"
DEFAULT_LABEL_KEY = "app.kubernetes.io/instance"
TRACKING_METHOD_KEY = "application.resourceTrackingMethod"
LABEL_KEY_KEY = "application.instanceLabelKey"
INSTALLATION_ID_KEY = "installationID"
LABEL_MAX_LENGTH = 63
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


class TrackingError(ValueError):
    """Tracking metadata cannot be set or read; the message says why and what to do."""


class TrackingMethod(StrEnum):
    LABEL = "label"
    ANNOTATION = "annotation"
    ANNOTATION_AND_LABEL = "annotation+label"


@dataclass(frozen=True)
class TrackingSettings:
    """The tracking part of ``argocd-cm``."""

    method: TrackingMethod = TrackingMethod.LABEL
    label_key: str = DEFAULT_LABEL_KEY
    installation_id: str = ""

    @classmethod
    def from_argocd_cm(cls, data: dict[str, str]) -> TrackingSettings:
        raw = (data.get(TRACKING_METHOD_KEY) or "").strip()
        try:
            method = TrackingMethod(raw) if raw else TrackingMethod.LABEL
        except ValueError:
            allowed = ", ".join(m.value for m in TrackingMethod)
            raise TrackingError(
                f"argocd-cm key {TRACKING_METHOD_KEY!r} is {raw!r}; use one of {allowed}"
            ) from None
        return cls(
            method=method,
            label_key=(data.get(LABEL_KEY_KEY) or "").strip() or DEFAULT_LABEL_KEY,
            installation_id=(data.get(INSTALLATION_ID_KEY) or "").strip(),
        )

    @property
    def uses_annotation(self) -> bool:
        return self.method in (TrackingMethod.ANNOTATION, TrackingMethod.ANNOTATION_AND_LABEL)


@dataclass(frozen=True)
class TrackingId:
    """The value of ``argocd.argoproj.io/tracking-id``."""

    app: str
    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.app}:{self.group}/{self.kind}:{self.namespace}/{self.name}"

    @classmethod
    def parse(cls, value: str) -> TrackingId | None:
        """The id in ``value``, or None when it is not ``<app>:<group>/<kind>:<namespace>/<name>``."""
        parts = value.split(":", 2)
        if len(parts) != 3:
            return None
        group_kind = parts[1].split("/")
        ns_name = parts[2].split("/")
        if len(group_kind) != 2 or len(ns_name) != 2:
            return None
        return cls(parts[0], group_kind[0], group_kind[1], ns_name[0], ns_name[1])


def instance_name(app_name: str, app_namespace: str = "", control_plane_namespace: str = "") -> str:
    """How an Application is named in tracking metadata: ``<namespace>_<name>`` for
    apps outside the control-plane namespace, else the bare name."""
    if app_namespace and control_plane_namespace and app_namespace != control_plane_namespace:
        return f"{app_namespace}_{app_name}"
    return app_name


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _map(obj: dict[str, Any], key: str) -> dict[str, Any]:
    value = _meta(obj).get(key)
    return value if isinstance(value, dict) else {}


def _group(obj: dict[str, Any]) -> str:
    api_version = obj.get("apiVersion")
    return api_version.split("/", 1)[0] if isinstance(api_version, str) and "/" in api_version else ""


def identity(obj: dict[str, Any], app_instance: str, destination_namespace: str = "") -> TrackingId:
    """The tracking id ``obj`` should carry; a cluster-scoped (namespace-less)
    object carries the Application's destination namespace, as in Argo CD."""
    meta = _meta(obj)
    return TrackingId(
        app=app_instance,
        group=_group(obj),
        kind=str(obj.get("kind") or ""),
        namespace=str(meta.get("namespace") or destination_namespace),
        name=str(meta.get("name") or ""),
    )


def _label_value(app_instance: str, truncate: bool) -> str:
    value = app_instance
    if truncate and len(value) > LABEL_MAX_LENGTH:
        value = value[:LABEL_MAX_LENGTH]
        while value and not value[-1].isalnum():
            value = value[:-1]
    if not _LABEL_VALUE.match(value) or len(value) > LABEL_MAX_LENGTH:
        raise TrackingError(
            f"Application {app_instance!r} cannot be tracked by label: label values are at most "
            f"{LABEL_MAX_LENGTH} characters of letters, digits, '-', '_' and '.'; "
            f"set {TRACKING_METHOD_KEY}: annotation in argocd-cm"
        )
    return value


def tracking_metadata(
    desired: dict[str, Any], app_instance: str, settings: TrackingSettings, destination_namespace: str = ""
) -> tuple[dict[str, str], dict[str, str]]:
    """The (labels, annotations) to add to ``desired`` before applying it."""
    labels: dict[str, str] = {}
    notes: dict[str, str] = {}
    if settings.method in (TrackingMethod.LABEL, TrackingMethod.ANNOTATION_AND_LABEL):
        labels[settings.label_key] = _label_value(
            app_instance, truncate=settings.method == TrackingMethod.ANNOTATION_AND_LABEL
        )
    if settings.uses_annotation:
        notes[TRACKING_ID_ANNOTATION] = str(identity(desired, app_instance, destination_namespace))
    if settings.installation_id:
        notes[INSTALLATION_ID_ANNOTATION] = settings.installation_id
    return labels, notes


def set_tracking(
    desired: dict[str, Any], app_instance: str, settings: TrackingSettings, destination_namespace: str = ""
) -> dict[str, Any]:
    """A copy of ``desired`` carrying its Application's tracking metadata."""
    labels, notes = tracking_metadata(desired, app_instance, settings, destination_namespace)
    out = json_copy(desired)
    meta = out.setdefault("metadata", {})
    if labels:
        meta["labels"] = {**(meta.get("labels") or {}), **labels}
    if notes:
        meta["annotations"] = {**(meta.get("annotations") or {}), **notes}
    return out


def tracking_id_of(live: dict[str, Any]) -> TrackingId | None:
    value = _map(live, "annotations").get(TRACKING_ID_ANNOTATION)
    return TrackingId.parse(value) if isinstance(value, str) else None


def matches_object(tid: TrackingId, obj: dict[str, Any]) -> bool:
    """Whether a tracking id names ``obj`` itself (not the object it was copied from).

    A namespace-less object matches any namespace in the id (cluster-scoped
    objects carry the destination namespace).
    """
    meta = _meta(obj)
    namespace = str(meta.get("namespace") or "")
    return (
        (namespace == "" or namespace == tid.namespace)
        and str(meta.get("name") or "") == tid.name
        and _group(obj) == tid.group
        and str(obj.get("kind") or "") == tid.kind
    )


def owner_of(
    live: dict[str, Any], settings: TrackingSettings, desired: dict[str, Any] | None = None
) -> str | None:
    """The Application instance that owns ``live``, or None.

    With annotation tracking, an id that does not name the object (a copy) owns
    nothing; when ``desired`` is given and is the same object under a newer API
    group, its identity is accepted too (as Argo CD does on group upgrades).
    """
    installation = _map(live, "annotations").get(INSTALLATION_ID_ANNOTATION)
    if settings.installation_id and installation != settings.installation_id:
        return None
    if not settings.uses_annotation:
        value = _map(live, "labels").get(settings.label_key)
        return value if isinstance(value, str) and value else None
    tid = tracking_id_of(live)
    if tid is None or not tid.app:
        return None
    if matches_object(tid, live):
        return tid.app
    if desired is not None:
        # Same object, served under a newer API group than the id records.
        wanted = identity(desired, tid.app, tid.namespace)
        same = (wanted.kind, wanted.namespace, wanted.name) == (tid.kind, tid.namespace, tid.name)
        if same and matches_object(wanted, live):
            return tid.app
    return None


@dataclass(frozen=True)
class SharedResource:
    """A desired object already tracked by another Application (a ``SharedResourceWarning``)."""

    kind: str
    namespace: str
    name: str
    owner: str
    claimant: str

    @property
    def message(self) -> str:
        return f"{self.kind}/{self.name} is part of applications {self.owner} and {self.claimant}"


def shared_resource(
    live: dict[str, Any] | None,
    app_instance: str,
    settings: TrackingSettings,
    desired: dict[str, Any] | None = None,
) -> SharedResource | None:
    """The conflict when ``app_instance`` wants ``live`` but another app tracks it."""
    if live is None:
        return None
    owner = owner_of(live, settings, desired)
    if owner is None or owner == app_instance:
        return None
    meta = _meta(live)
    return SharedResource(
        kind=str(live.get("kind") or ""),
        namespace=str(meta.get("namespace") or ""),
        name=str(meta.get("name") or ""),
        owner=owner,
        claimant=app_instance,
    )


def normalize_for_diff(
    desired: dict[str, Any], live: dict[str, Any], settings: TrackingSettings
) -> dict[str, Any]:
    """``live`` made comparable after switching from label to annotation tracking.

    Objects applied under label tracking lack the annotation and keep a label
    desired no longer sets; neither is drift worth a sync, as in Argo CD.
    """
    if not settings.uses_annotation:
        return live
    live_labels = _map(live, "labels")
    if not live_labels.get(settings.label_key):
        return live
    out = json_copy(live)
    meta = out.setdefault("metadata", {})
    wanted = _map(desired, "annotations").get(TRACKING_ID_ANNOTATION)
    if wanted is not None:
        meta["annotations"] = {**(meta.get("annotations") or {}), TRACKING_ID_ANNOTATION: wanted}
    if settings.label_key not in _map(desired, "labels"):
        meta["labels"] = {k: v for k, v in live_labels.items() if k != settings.label_key}
    return out


@dataclass(frozen=True)
class DeletionVerdict:
    """Whether an app may delete a live object, and if not, who owns it and why not."""

    allowed: bool
    owner: str | None
    """The Application instance the object's tracking metadata names (None: untracked)."""
    reason: str
    """Why the object is kept, for the log, the Event and the deletion result ("" when allowed)."""


def may_delete(
    live: dict[str, Any], app_instance: str, settings: TrackingSettings, desired: dict[str, Any] | None = None
) -> DeletionVerdict:
    """May ``app_instance`` delete ``live``? Only when the object's tracking names it.

    This is the one rule every delete path follows (cascade deletion, prune,
    hook clean-up, replace/force, terminate). ``desired`` (the rendered object
    at the same key, when there is one) lets an object tracked under an older
    API group still count as ours, as :func:`owner_of` explains.
    """
    annotations = _map(live, "annotations")
    installation = annotations.get(INSTALLATION_ID_ANNOTATION)
    if settings.installation_id and installation != settings.installation_id:
        other = f"installation {installation!r}" if installation else "no installation ID"
        return DeletionVerdict(
            False,
            None,
            f"it carries {other}, not this installation's {settings.installation_id!r}",
        )
    owner = owner_of(live, settings, desired)
    if owner == app_instance:
        return DeletionVerdict(True, owner, "")
    if owner is not None:
        return DeletionVerdict(False, owner, f"it belongs to application {owner!r}")
    tid = tracking_id_of(live) if settings.uses_annotation else None
    if tid is not None and tid.app:
        return DeletionVerdict(
            False,
            None,
            f"its tracking id names {tid.group}/{tid.kind} {tid.namespace}/{tid.name}, not itself",
        )
    return DeletionVerdict(False, None, "no application tracks it")
