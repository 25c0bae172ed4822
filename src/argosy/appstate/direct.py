"""Live state read straight from a destination cluster, for one request.

The controller compares against its watch cache; the API server (and so the
CLI, with or without ``--core``) has no cache and reads what one comparison
needs from the destination's API instead: discovery, the object at each
desired key, and the objects the controller recorded in ``status.resources``
(which stand for "the objects this app tracks": listing every kind of a
cluster per request would be far too costly). Server-side diffs use the same
dry-run apply as the controller's, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from argosy.appstate.inputs import ControlPlaneReader
from argosy.appstate.pipeline import AppState, ComparisonFailed, LiveState, Renderer, recorded_keys
from argosy.engine.keys import ResourceKey
from argosy.engine.tracking import TrackingSettings, owner_of
from argosy.kube.apply import ClusterOps
from argosy.kube.clients import KubeClient
from argosy.kube.discovery import ApiResources, discover
from argosy.kube.errors import KubeError, http_status
from argosy.settings.clusters import ClusterConfig

Obj = dict[str, Any]


class DirectLiveState:
    """:class:`~argosy.appstate.pipeline.LiveState` over direct reads of one cluster."""

    def __init__(
        self, client: KubeClient, recorded: Sequence[ResourceKey], tracking: TrackingSettings
    ) -> None:
        self.client = client
        self.recorded = list(recorded)
        self.tracking = tracking
        self._error = ""
        self._version = ""
        self._resources: ApiResources | None = None
        self._ops = ClusterOps(client, lambda: self._resources)
        check = client.check(timeout=5.0)
        if not check.ok:
            self._error = check.message
            return
        self._version = check.server_version
        try:
            self._resources = discover(client)
        except KubeError as exc:
            self._error = f"cannot read the API of the cluster: {exc}"

    def connection_error(self) -> str:
        return self._error

    def server_version(self) -> str:
        return self._version

    def api_versions(self) -> list[str]:
        """What Helm's ``--api-versions`` takes: ``group/version`` and ``group/version/Kind``."""
        out: set[str] = set()
        for r in self._resources.resources if self._resources is not None else ():
            out.add(r.api_version)
            out.add(f"{r.api_version}/{r.kind}")
        return sorted(out)

    def is_namespaced(self, group: str, kind: str) -> bool | None:
        found = self._resources.get(group, kind) if self._resources is not None else None
        return None if found is None else found.namespaced

    def resource_path(self, group: str, kind: str, namespace: str, name: str = "") -> str | None:
        """The REST path of an object (or of its collection without ``name``); None for a kind not served."""
        res = self._resources.get(group, kind) if self._resources is not None else None
        return None if res is None else res.path(namespace, name)

    def get(self, key: ResourceKey) -> Obj | None:
        res = self._resources.get(key.group, key.kind) if self._resources is not None else None
        if res is None:
            return None
        try:
            live: Obj | None = self.client.request("GET", res.path(key.namespace, key.name))
        except KubeError as exc:
            if http_status(exc) == 404:
                return None
            raise ComparisonFailed("ComparisonError", f"reading {key}: {exc}", unavailable=True) from None
        return live

    def owned_by(self, instance: str) -> dict[ResourceKey, Obj]:
        out: dict[ResourceKey, Obj] = {}
        for key in self.recorded:
            live = self.get(key)
            if live is not None and owner_of(live, self.tracking) == instance:
                out[key] = live
        return out

    def predict(self, desired: Obj, live: Obj) -> Obj | None:
        try:
            return self._ops.server_side_apply(desired, force=True, dry_run=True)
        except KubeError:
            return None  # the structural diff takes over, as in the controller

    def unowned_in(self, namespace: str) -> list[Obj]:
        """Orphaned-resource counting is the controller's (it has every object cached)."""
        return []


@contextmanager
def direct_app_state(
    reader: ControlPlaneReader,
    renderer: Renderer,
    in_cluster: KubeClient,
    app: Obj,
    tracking: TrackingSettings,
) -> Iterator[AppState]:
    """An :class:`AppState` for one request about ``app``, reading its destination directly.

    ``in_cluster`` is the caller's own client, reused when the destination is
    that cluster; clients made for other clusters are closed on exit.
    """
    opened: list[KubeClient] = []

    def live_for(cluster: ClusterConfig) -> LiveState:
        if in_cluster.cluster.server == cluster.server:
            client = in_cluster
        else:
            try:
                client = KubeClient(cluster)
            except KubeError as exc:
                raise ComparisonFailed(
                    "ComparisonError", f"cluster {cluster.describe()}: {exc}", unavailable=True
                ) from None
            opened.append(client)
        return DirectLiveState(client, recorded_keys(app), tracking)

    try:
        yield AppState(reader, renderer, in_cluster.cluster, live_for)
    finally:
        for client in opened:
            client.close()
