"""An application's rendered and compared state, computed on request for the API.

The controller keeps its comparison in memory and writes only a summary
(``status.resources``) into the Application. A user who asks *what exactly
would be applied* (``/manifests``), *what exactly differs*
(``/managed-resources``, ``argosy app diff``) or *what a deletion would
remove* (``/deletion-preview``) needs the objects themselves, so the server
computes them with the controller's own pipeline
(:class:`argosy.appstate.pipeline.AppState`), reading live objects straight
from the destination (:mod:`argosy.appstate.direct`). The answer is therefore
the controller's answer — same render inputs, exclusions, project rules and
tracking — not a second opinion.

Secret values never leave this module in clear: rendered Secrets and every
Secret state are masked with ``+`` signs, as Argo CD does (the diff engine's
masks keep equal values equal and changed values visibly different).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from argosy.appstate.compare import OUT_OF_SYNC, ResourceComparison
from argosy.appstate.direct import direct_app_state
from argosy.appstate.inputs import ControlPlaneReader
from argosy.appstate.pipeline import ComparisonFailed
from argosy.appstate.settings import ControllerSettings
from argosy.engine.diff.redact import is_secret, mask_secret
from argosy.engine.keys import ResourceKey
from argosy.engine.sync.options import deletion_disabled
from argosy.engine.tracking import instance_name, may_delete
from argosy.kube.clients import KubeClient
from argosy.repo import RepoClient

Obj = dict[str, Any]

__all__ = ["ComparisonFailed", "Manifests", "deletion_preview", "managed_resources", "manifests"]


def _settings(reader: ControlPlaneReader) -> ControllerSettings:
    return ControllerSettings.from_configmap_data(
        reader.configmap_data("argocd-cm"), reader.namespace, reader.configmap_data("argocd-cmd-params-cm")
    )


@dataclass
class Manifests:
    """Argo CD's ``ManifestResponse``: the rendered objects (Secrets masked) and where they came from."""

    objects: list[Obj]
    revision: str
    source_type: str
    namespace: str
    server: str


def manifests(
    reader: ControlPlaneReader,
    app: Obj,
    renderer: RepoClient,
    client: KubeClient,
    *,
    revision: str = "",
    source_revisions: Mapping[int, str] | None = None,
) -> Manifests:
    """The app's manifests at ``revision`` (or per-source ``source_revisions``), Secrets masked."""
    with direct_app_state(reader, renderer, client, app, _settings(reader).tracking) as state:
        cluster = state.destination(app)
        result = state.render(app, state.live(cluster), revision=revision, source_revisions=source_revisions)
    return Manifests(
        objects=[m for m in (mask_secret(o) for o in result.manifests()) if m],
        revision=result.revision,
        source_type=result.sources[0].tool if result.sources else "",
        namespace=str(((app.get("spec") or {}).get("destination") or {}).get("namespace") or ""),
        server=cluster.server,
    )


def resource_item(r: ResourceComparison) -> Obj:
    """One Argo CD ``ResourceDiff`` (states as objects; the API serialises them to JSON text)."""
    d = r.diff
    target, live = mask_secret(r.desired), mask_secret(r.live)
    normalized, predicted = live, target
    if d is not None:
        # The diff engine already masked Secrets, per key: equal values share a mask and a changed
        # value gets a mask of another length, so masking again would hide the change itself.
        normalized, predicted = d.normalized_live, d.predicted_live
        if is_secret(r.desired or r.live):
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


def managed_resources(
    reader: ControlPlaneReader, app: Obj, renderer: RepoClient, client: KubeClient
) -> list[Obj]:
    """Every resource of the app (hooks included; callers drop them as Argo CD does) with its states."""
    settings = _settings(reader)
    with direct_app_state(reader, renderer, client, app, settings.tracking) as state:
        snapshot = state.prepare(app, settings)
    return [resource_item(r) for r in snapshot.comparison.resources]


def deletion_preview(reader: ControlPlaneReader, app: Obj, client: KubeClient) -> list[Obj]:
    """What a cascade deletion of ``app`` would do to each object it considers, now.

    The candidates are the controller's (:meth:`AppState.deletion_candidates`);
    ``delete`` when the object's tracking names the app
    (:func:`argosy.engine.tracking.may_delete`), ``keep`` with the reason otherwise
    (another app or nobody tracks it, or ``Delete=false``). No render is needed.
    """
    settings = _settings(reader)
    meta = app.get("metadata") or {}
    instance = instance_name(
        str(meta.get("name") or ""), str(meta.get("namespace") or ""), settings.namespace
    )
    with direct_app_state(reader, _NO_RENDERER, client, app, settings.tracking) as state:
        _, candidates = state.deletion_candidates(app, settings)
    out: list[Obj] = []
    for live in candidates:
        verdict = may_delete(live, instance, settings.tracking)
        reason = verdict.reason or ("Delete=false" if deletion_disabled(live) else "")
        out.append(
            {**ResourceKey.of(live)._asdict(), "action": "keep" if reason else "delete", "reason": reason}
        )
    return sorted(out, key=lambda i: (i["group"], i["kind"], i["namespace"], i["name"]))


class _NoRenderer:
    """Deletion needs no manifests; a render request here is a bug."""

    def render(self, req: Any) -> Any:
        raise AssertionError("deletion preview must not render")


_NO_RENDERER = _NoRenderer()
