"""Managed resources: each of an application's resources with its target, live and predicted state.

This is what ``argosy app diff`` prints and what Argo CD's
``/managed-resources`` returns (``ResourceDiff`` items): the desired object
from Git (``targetState``), the object running in the destination
(``liveState``), and the two objects the diff engine compared -
``normalizedLiveState`` and ``predictedLiveState`` (the live object as it
would be after a sync) - so a client shows the field changes by diffing
those two, exactly as ``argocd app diff`` does. The comparison is the
controller's own (:func:`argosy.controller.compare.compare_app`); objects the
controller recorded for the app but Git no longer has are read too, so the
ones a sync with prune would delete show up.

Secret states are masked: the diff engine's masks for compared Secrets
(equal values, equal masks), plain masks otherwise.
"""

from __future__ import annotations

from typing import Any

from argosy.controller.compare import OUT_OF_SYNC, ResourceComparison, compare_app
from argosy.controller.settings import ControllerSettings
from argosy.engine.diff.redact import mask_secret
from argosy.engine.sync import ResourceKey
from argosy.engine.sync.options import deletion_disabled
from argosy.engine.tracking import instance_name, may_delete, owner_of
from argosy.kube.apply import ClusterOps
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError
from argosy.repo import RepoClient
from argosy.server.appstate import (
    AppStateError,
    ControlPlaneReader,
    Destination,
    destination_client,
    probe_destination,
    recorded_keys,
    render,
    resolve_destination,
)
from argosy.settings.clusters import ClusterConfig

Obj = dict[str, Any]


def _is_secret(key: ResourceKey) -> bool:
    return key.kind == "Secret" and key.group == ""


def resource_item(r: ResourceComparison) -> Obj:
    """One Argo CD ``ResourceDiff`` (states as objects; the API serialises them to JSON text)."""
    d = r.diff
    target, live = mask_secret(r.desired), mask_secret(r.live)
    normalized, predicted = live, target
    if d is not None:
        # The diff engine already masked Secrets, per key: equal values share a mask and a changed
        # value gets a mask of another length, so masking again would hide the change itself.
        normalized, predicted = d.normalized_live, d.predicted_live
        if _is_secret(r.key):
            target = d.normalized_desired if d.normalized_desired is not None else target
            live = d.normalized_live if d.normalized_live is not None else live
    return {
        "group": r.key.group,
        "kind": r.key.kind,
        "namespace": r.key.namespace,
        "name": r.key.name,
        "targetState": target,
        "liveState": live,
        "normalizedLiveState": normalized,
        "predictedLiveState": predicted,
        "hook": r.hook,
        "modified": r.status == OUT_OF_SYNC,
        "resourceVersion": str(((r.live or {}).get("metadata") or {}).get("resourceVersion") or ""),
        # Not in Argo CD's ResourceDiff; kept so a client can tell "would be pruned" from "ignored extra".
        "status": r.status,
    }


def _live_reader(client: KubeClient, dest: Destination) -> Any:
    def lookup(key: ResourceKey) -> Obj | None:
        res = dest.resources.get(key.group, key.kind)
        if res is None:
            return None
        try:
            live: Obj | None = client.request("GET", res.path(key.namespace, key.name))
        except KubeError as exc:
            if getattr(exc, "status", 0) == 404:
                return None
            where = f"reading {key} from cluster {dest.cluster.describe()}"
            raise AppStateError(f"{where}: {exc}", unavailable=True) from None
        return live

    return lookup


def managed_resources(
    reader: ControlPlaneReader,
    app: Obj,
    renderer: RepoClient,
    in_cluster: ClusterConfig,
    *,
    reuse: KubeClient | None = None,
) -> list[Obj]:
    """Every resource of the app (hooks included; callers drop them as Argo CD does) with its states."""
    cluster = resolve_destination(reader, app, in_cluster)
    settings = ControllerSettings.from_configmap_data(reader.configmap_data("argocd-cm"), reader.namespace)
    meta = app.get("metadata") or {}
    instance = instance_name(str(meta.get("name") or ""), str(meta.get("namespace") or ""), reader.namespace)
    with destination_client(cluster, reuse) as client:
        dest = probe_destination(cluster, client)
        desired = render(reader, app, renderer, dest).manifests()
        lookup = _live_reader(client, dest)
        tracked: dict[ResourceKey, Obj] = {}
        for group, kind, namespace, name in recorded_keys(app):
            key = ResourceKey(group, kind, namespace, name)
            live = lookup(key)
            if live is not None and owner_of(live, settings.tracking) == instance:
                tracked[key] = live

        def is_namespaced(group: str, kind: str) -> bool | None:
            res = dest.resources.get(group, kind)
            return None if res is None else res.namespaced

        try:
            config = settings.diff_config(app)
        except ValueError as exc:
            raise AppStateError(f"application '{meta.get('name')}': {exc}") from None
        ops = ClusterOps(client, lambda: dest.resources)

        def predict(target: Obj, live: Obj) -> Obj | None:
            # The same server-side diff the controller shows in status (dry-run apply), so the
            # CLI/UI diff and the app's sync status never disagree; structural when it fails.
            try:
                return ops.server_side_apply(target, force=True, dry_run=True)
            except KubeError:
                return None

        comparison = compare_app(
            app,
            desired,
            tracked,
            lookup,
            settings,
            is_namespaced,
            predict=predict,
            diff_config=config,
            server_side_default=settings.server_side_diff,
        )
    return [resource_item(r) for r in comparison.resources]


def deletion_preview(
    reader: ControlPlaneReader, app: Obj, in_cluster: ClusterConfig, *, reuse: KubeClient | None = None
) -> list[Obj]:
    """What a cascade deletion of ``app`` would do to each of its recorded resources, now.

    For every resource in ``status.resources`` that exists: ``delete`` when its tracking
    names the app (the controller's rule, :func:`argosy.engine.tracking.may_delete`),
    ``keep`` with the reason otherwise (another app or nobody tracks it, or
    ``Delete=false``). No render is needed, as for the deletion itself.
    """
    cluster = resolve_destination(reader, app, in_cluster)
    settings = ControllerSettings.from_configmap_data(reader.configmap_data("argocd-cm"), reader.namespace)
    meta = app.get("metadata") or {}
    instance = instance_name(str(meta.get("name") or ""), str(meta.get("namespace") or ""), reader.namespace)
    out: list[Obj] = []
    with destination_client(cluster, reuse) as client:
        dest = probe_destination(cluster, client)
        lookup = _live_reader(client, dest)
        for group, kind, namespace, name in recorded_keys(app):
            live = lookup(ResourceKey(group, kind, namespace, name))
            if live is None:
                continue
            verdict = may_delete(live, instance, settings.tracking)
            reason = verdict.reason or ("Delete=false" if deletion_disabled(live) else "")
            item = {"group": group, "kind": kind, "namespace": namespace, "name": name}
            out.append({**item, "action": "keep" if reason else "delete", "reason": reason})
    return out
