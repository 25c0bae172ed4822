"""Resource actions through the API: read one live object of an app, run its action, write the result.

The pure part (discovery, the Lua run) is :mod:`argosy.engine.actions`; this
module finds the object on the app's destination cluster
(:func:`argosy.appstate.direct.direct_app_state`, as ``managed-resources``
does), makes sure the app owns it — it is in ``status.resources`` and its
tracking metadata names the app — and applies the action's result: a JSON
merge patch of the live object for ``patch`` (what changed, nothing else), a
create for ``create``. As in Argo CD, an object that is not part of the app
answers 404, so an action can never reach an object outside the user's apps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from argosy.appstate.direct import DirectLiveState, direct_app_state
from argosy.appstate.inputs import ControlPlaneReader
from argosy.appstate.pipeline import ComparisonFailed, recorded_keys
from argosy.appstate.settings import ControllerSettings
from argosy.engine.actions import ActionError, ResourceAction, discover_actions, run_action
from argosy.engine.actions.run import CREATE
from argosy.engine.keys import ResourceKey
from argosy.engine.mergepatch import merge_patch_between
from argosy.engine.tracking import instance_name, owner_of
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError
from argosy.server.errors import INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE, APIError, from_kube
from argosy.settings import resource_customizations

Obj = dict[str, Any]


@dataclass(frozen=True)
class ResourceRef:
    """The object a request names, with Argo CD's query parameters."""

    group: str
    kind: str
    namespace: str
    name: str


class _NoRenderer:
    def render(self, req: Any) -> Any:
        raise AssertionError("resource actions never render manifests")


def _settings(reader: ControlPlaneReader) -> ControllerSettings:
    return ControllerSettings.from_configmap_data(
        reader.configmap_data("argocd-cm"), reader.namespace, reader.configmap_data("argocd-cmd-params-cm")
    )


def _owned_live(reader: ControlPlaneReader, app: Obj, live: DirectLiveState, ref: ResourceRef) -> Obj:
    meta = app.get("metadata") or {}
    app_name = str(meta.get("name") or "")
    where = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
    missing = f"{ref.kind} {where} is not part of application {app_name}"
    key = ResourceKey(ref.group, ref.kind, ref.namespace, ref.name)
    if key not in recorded_keys(app):
        raise APIError(NOT_FOUND, missing)
    obj = live.get(key)
    settings = _settings(reader)
    instance = instance_name(app_name, str(meta.get("namespace") or ""), settings.namespace)
    if obj is None or owner_of(obj, settings.tracking) != instance:
        raise APIError(NOT_FOUND, missing + " (not found live, or tracked by another app)")
    return obj


def _overrides(reader: ControlPlaneReader) -> dict[str, Any]:
    try:
        return resource_customizations.parse(reader.configmap_data("argocd-cm"))
    except resource_customizations.SettingsError as exc:
        raise APIError(INVALID_ARGUMENT, str(exc)) from None


def list_actions(
    reader: ControlPlaneReader, app: Obj, client: KubeClient, ref: ResourceRef
) -> list[ResourceAction]:
    """The actions the live object offers now."""
    try:
        with direct_app_state(reader, _NoRenderer(), client, app, _settings(reader).tracking) as state:
            live = state.live(state.destination(app))
            assert isinstance(live, DirectLiveState)
            obj = _owned_live(reader, app, live, ref)
        return discover_actions(obj, _overrides(reader))
    except ComparisonFailed as exc:
        raise APIError(UNAVAILABLE if exc.unavailable else INVALID_ARGUMENT, exc.message) from None
    except ActionError as exc:
        raise APIError(INVALID_ARGUMENT, str(exc)) from None


def _write(live: DirectLiveState, before: Obj, op: str, obj: Obj) -> None:
    meta = obj.get("metadata") or {}
    group, _, _version = str(obj.get("apiVersion") or "").rpartition("/")
    kind, namespace, name = (
        str(obj.get("kind") or ""),
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
    )
    if op == CREATE:
        path = live.resource_path(group, kind, namespace)
        if path is None:
            raise APIError(INVALID_ARGUMENT, f"the cluster does not serve {kind} ({group or 'core'})")
        live.client.request("POST", path, body=obj, kind=kind, namespace=namespace)
        return
    patch = merge_patch_between(before, obj)
    if not patch:
        return
    path = live.resource_path(group, kind, namespace, name)
    if path is None:
        raise APIError(INVALID_ARGUMENT, f"the cluster does not serve {kind} ({group or 'core'})")
    live.client.request(
        "PATCH", path, body=patch, content_type="application/merge-patch+json", kind=kind, namespace=namespace
    )


def run(
    reader: ControlPlaneReader,
    app: Obj,
    client: KubeClient,
    ref: ResourceRef,
    action: str,
    now: int | None = None,
) -> None:
    """Run ``action`` on the app's object and write what it changes to the destination cluster."""
    try:
        with direct_app_state(reader, _NoRenderer(), client, app, _settings(reader).tracking) as state:
            live = state.live(state.destination(app))
            assert isinstance(live, DirectLiveState)
            obj = _owned_live(reader, app, live, ref)
            impacted = run_action(
                obj, action, _overrides(reader), now=int(time.time()) if now is None else now
            )
            for item in impacted:
                is_target = (item.resource.get("metadata") or {}).get(
                    "name"
                ) == ref.name and item.resource.get("kind") == ref.kind
                if item.operation != CREATE and not is_target:
                    raise APIError(
                        INVALID_ARGUMENT, f"action {action!r} may patch only the {ref.kind} it runs on"
                    )
                _write(live, obj, item.operation, item.resource)
    except ComparisonFailed as exc:
        raise APIError(UNAVAILABLE if exc.unavailable else INVALID_ARGUMENT, exc.message) from None
    except ActionError as exc:
        raise APIError(INVALID_ARGUMENT, str(exc)) from None
    except KubeError as exc:
        raise from_kube(exc, f"action {action!r} on {ref.kind} {ref.name}") from None
