"""What a sync does to a cluster: apply, dry-run, replace, create, delete, get.

* **Server-side apply** (``PATCH`` ``application/apply-patch+yaml``) with field
  manager ``argosy-controller``; ``force`` takes over fields another manager
  owns (``ServerSideApply=true`` syncs, ``--force-conflicts``).
* **Dry runs** (``dryRun=All``) of server-side apply return the object the API
  server *would* store — defaults, admission and validation included. The
  server-side diff compares that prediction with live, and a sync dry-runs
  every object first so a bad manifest fails the sync before anything changes.
  Each object gets its own result: the predicted object or the API server's
  error, which names the field.
* **Client-side create**: an object that does not exist yet is created with a
  POST carrying the same last-applied annotation kubectl would write (byte for
  byte), so the common case of a sync — new objects — needs no process.
* **Client-side apply** keeps ``kubectl.kubernetes.io/last-applied-configuration``
  semantics (the default sync mode) by running the real ``kubectl apply -f -``
  (see :mod:`argosy.kube.kubectl`): its three-way strategic merge is the
  behaviour users' manifests were written against, and re-implementing it
  would only approximate it.
* **Client-side re-apply** of a manifest whose last-applied annotation the live
  object already carries — self-heal, and the unchanged objects of every sync —
  needs none of that merge: with the last-applied configuration equal to the
  manifest, kubectl's three-way patch removes nothing and sets every manifest
  field live lacks or differs on, which is what the manifest itself does as a
  strategic merge patch (JSON merge patch for custom resources, as kubectl),
  merged by the API server with the patch strategies of each field. One PATCH,
  no process (kubectl starts, reads discovery and the OpenAPI schema per call).
* **Replace** (``PUT``; with ``force``: delete, wait until gone, create),
  **create** (``generateName`` hooks), **delete** with a propagation policy
  (foreground, background, orphan) and **get**.

Every call has a timeout and raises :class:`~argosy.kube.errors.KubeError`
naming the cluster and the object; bulk calls return one result per object.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from argosy.engine.keys import ResourceKey
from argosy.engine.sync.apply_mode import with_last_applied
from argosy.kube.clients import DEFAULT_TIMEOUT, KubeClient
from argosy.kube.discovery import ApiResource, ApiResources, discover
from argosy.kube.errors import KubeApiError, KubeError
from argosy.kube.objects import ARGOSY_FIELD_MANAGER

APPLY_PATCH = "application/apply-patch+yaml"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
MERGE_PATCH = "application/merge-patch+json"
_REDISCOVER_AFTER = 2.0


class Propagation(StrEnum):
    """``PrunePropagationPolicy`` values, as the API's ``propagationPolicy``."""

    FOREGROUND = "Foreground"
    BACKGROUND = "Background"
    ORPHAN = "Orphan"

    @classmethod
    def parse(cls, value: str) -> Propagation:
        for p in cls:
            if p.value.lower() == value.strip().lower():
                return p
        raise ValueError(f"propagation policy {value!r}: use foreground, background or orphan")


@dataclass
class ObjectResult:
    """The outcome for one object of a bulk call."""

    key: ResourceKey
    object: dict[str, Any] | None = None
    error: KubeError | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


def _namespace(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def _name(obj: dict[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name") or "")


class ClusterOps:
    """Write (and read single objects) on one cluster for the sync runner."""

    def __init__(
        self,
        client: KubeClient,
        resources: Callable[[], ApiResources | None] | None = None,
        *,
        field_manager: str = ARGOSY_FIELD_MANAGER,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.client = client
        self.field_manager = field_manager
        self.timeout = timeout
        self._external = resources
        self._own: ApiResources | None = None
        self._own_at = 0.0
        self._lock = threading.Lock()
        # (group, kind)s whose API refused a strategic merge patch (415: custom resources);
        # kubectl patches those with a JSON merge patch, and so does reapply_client_side.
        self._merge_patch_only: set[tuple[str, str]] = set()

    # ----------------------------------------------------------- discovery
    def _lookup(self, api_version: str, kind: str) -> ApiResource | None:
        external = self._external() if self._external else None
        for snapshot in (external, self._own):
            found = snapshot.find(api_version, kind) if snapshot else None
            if found:
                return found
        return None

    def resource_for(self, api_version: str, kind: str, key: ResourceKey | None = None) -> ApiResource:
        """Where objects of ``api_version``/``kind`` live; re-discovers once on a miss (a new CRD)."""
        found = self._lookup(api_version, kind)
        if found:
            return found
        with self._lock:
            if time.monotonic() - self._own_at > _REDISCOVER_AFTER or self._own is None:
                self._own = discover(self.client)
                self._own_at = time.monotonic()
        found = self._lookup(api_version, kind)
        if found is None:
            raise KubeApiError(
                cluster=self.client.name,
                message=f"the server does not serve {kind} in {api_version} "
                "(install its CustomResourceDefinition first, or fix apiVersion/kind)",
                status=404,
                reason="NotFound",
                key=key,
            )
        return found

    def _target(self, obj: dict[str, Any]) -> tuple[ApiResource, ResourceKey, str]:
        key = ResourceKey.of(obj)
        res = self.resource_for(str(obj.get("apiVersion") or ""), key.kind, key)
        if res.namespaced and not key.namespace:
            raise KubeApiError(
                cluster=self.client.name,
                message="metadata.namespace is not set on a namespaced object "
                "(set it in the manifest or the Application's destination.namespace)",
                status=400,
                reason="BadRequest",
                key=key,
            )
        return res, key, key.namespace if res.namespaced else ""

    # ------------------------------------------------------------ requests
    def get(self, api_version: str, kind: str, namespace: str, name: str) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        key = ResourceKey(api_version.rpartition("/")[0], kind, namespace, name)
        res = self.resource_for(api_version, kind, key)
        try:
            found = self.client.request(
                "GET",
                res.path(namespace, name),
                timeout=self.timeout,
                verb="get",
                kind=kind,
                namespace=namespace,
                key=key,
            )
        except KubeApiError as exc:
            if exc.not_found:
                return None
            raise
        return dict(found) if isinstance(found, dict) else None

    def server_side_apply(
        self, obj: dict[str, Any], *, force: bool = False, dry_run: bool = False
    ) -> dict[str, Any]:
        """Apply ``obj`` with Argosy's field manager; returns the stored (or predicted) object."""
        res, key, ns = self._target(obj)
        query = {"fieldManager": self.field_manager, "force": "true" if force else None}
        if dry_run:
            query["dryRun"] = "All"
        result = self.client.request(
            "PATCH",
            res.path(ns, key.name),
            query=query,
            body=obj,
            content_type=APPLY_PATCH,
            timeout=self.timeout,
            verb="apply",
            kind=key.kind,
            namespace=ns,
            key=key,
        )
        return dict(result)

    def dry_run_apply(self, objects: Sequence[dict[str, Any]], *, force: bool = True) -> list[ObjectResult]:
        """Server-side-apply dry run of each object: the predicted object or the server's error.

        ``force`` defaults on: a dry run should predict the object Argosy would
        produce, not stop at another manager's conflict (a real apply decides).
        """
        out = []
        for obj in objects:
            key = ResourceKey.of(obj)
            try:
                out.append(ObjectResult(key, self.server_side_apply(obj, force=force, dry_run=True)))
            except KubeError as exc:
                if isinstance(exc, KubeApiError) and exc.key is None:
                    exc.key = key
                out.append(ObjectResult(key, error=exc, message=str(exc)))
        return out

    def create(
        self, obj: dict[str, Any], *, dry_run: bool = False, validation: str | None = None
    ) -> dict[str, Any]:
        """POST (``generateName`` objects get their name from the server).

        ``validation``: the API's ``fieldValidation`` (``Strict`` is ``kubectl --validate``,
        ``Ignore`` is ``Validate=false``); None leaves the server's default.
        """
        key = ResourceKey.of(obj)
        res = self.resource_for(str(obj.get("apiVersion") or ""), key.kind, key)
        ns = key.namespace if res.namespaced else ""
        query = {
            "fieldManager": self.field_manager,
            "dryRun": "All" if dry_run else None,
            "fieldValidation": validation,
        }
        result = self.client.request(
            "POST",
            res.path(ns),
            query=query,
            body=obj,
            timeout=self.timeout,
            verb="create",
            kind=key.kind,
            namespace=ns,
            key=key,
        )
        return dict(result)

    def create_client_side(
        self, obj: dict[str, Any], *, validate: bool = True, dry_run: bool = False
    ) -> dict[str, Any]:
        """Create ``obj`` exactly as ``kubectl apply`` creates an absent object — same
        last-applied annotation, field manager and validation — without a kubectl process.
        ``dry_run``: as ``kubectl apply --dry-run=server`` does for an absent object.

        Raises KubeApiError 409 when the object exists after all (the caller then applies).
        """
        validation = "Strict" if validate else "Ignore"
        return self.create(with_last_applied(obj), dry_run=dry_run, validation=validation)

    def reapply_client_side(self, obj: dict[str, Any], *, validate: bool = True) -> dict[str, Any]:
        """``kubectl apply`` of ``obj`` onto a live object whose last-applied annotation is already
        ``obj``'s (the caller checks): the manifest, with that annotation, as one merge patch.

        Returns the stored object (its resourceVersion unchanged when nothing differed).
        """
        body = with_last_applied(obj)
        res, key, ns = self._target(body)
        group_kind = (key.group, key.kind)
        query = {"fieldManager": self.field_manager, "fieldValidation": "Strict" if validate else "Ignore"}
        while True:
            strategic = group_kind not in self._merge_patch_only
            try:
                result = self.client.request(
                    "PATCH",
                    res.path(ns, key.name),
                    query=query,
                    body=body,
                    content_type=STRATEGIC_MERGE_PATCH if strategic else MERGE_PATCH,
                    timeout=self.timeout,
                    verb="patch",
                    kind=key.kind,
                    namespace=ns,
                    key=key,
                )
            except KubeApiError as exc:
                if exc.status == 415 and strategic:
                    self._merge_patch_only.add(group_kind)
                    continue
                raise
            return dict(result)

    def replace(self, obj: dict[str, Any], *, force: bool = False, dry_run: bool = False) -> dict[str, Any]:
        """PUT ``obj`` (created when absent). ``force``: delete the live object, wait until it
        is gone, then create (``Replace=true,Force=true``: immutable fields change)."""
        res, key, ns = self._target(obj)
        live = self.get(str(obj.get("apiVersion")), key.kind, ns, key.name)
        if live is None:
            return self.create(obj, dry_run=dry_run)
        if force and not dry_run:
            self.delete(
                str(obj.get("apiVersion")), key.kind, ns, key.name, propagation=Propagation.FOREGROUND
            )
            self.wait_deleted(str(obj.get("apiVersion")), key.kind, ns, key.name, timeout=self.timeout * 4)
            return self.create(obj)
        body = {
            **obj,
            "metadata": {**obj.get("metadata", {}), "resourceVersion": live["metadata"]["resourceVersion"]},
        }
        query = {"fieldManager": self.field_manager, "dryRun": "All" if dry_run else None}
        result = self.client.request(
            "PUT",
            res.path(ns, key.name),
            query=query,
            body=body,
            timeout=self.timeout,
            verb="update",
            kind=key.kind,
            namespace=ns,
            key=key,
        )
        return dict(result)

    def delete(
        self,
        api_version: str,
        kind: str,
        namespace: str,
        name: str,
        *,
        propagation: Propagation = Propagation.FOREGROUND,
        dry_run: bool = False,
        grace_period_seconds: int | None = None,
        uid: str | None = None,
        resource_version: str | None = None,
    ) -> bool:
        """Ask for deletion; False when the object was already gone. Returns once the
        API server accepted the request (foreground deletion then proceeds in the cluster).

        ``uid``: delete only that incarnation (a precondition; the API server answers
        409 when the object was re-created meanwhile), so a decision made on one object
        never deletes its successor. ``resource_version``: only that version (409 when
        anything changed it since it was read, e.g. another app's sync took it over)."""
        key = ResourceKey(api_version.rpartition("/")[0], kind, namespace, name)
        res = self.resource_for(api_version, kind, key)
        ns = namespace if res.namespaced else ""
        body: dict[str, Any] = {
            "kind": "DeleteOptions",
            "apiVersion": "v1",
            "propagationPolicy": propagation.value,
        }
        if dry_run:
            body["dryRun"] = ["All"]
        if grace_period_seconds is not None:
            body["gracePeriodSeconds"] = grace_period_seconds
        preconditions = {k: v for k, v in (("uid", uid), ("resourceVersion", resource_version)) if v}
        if preconditions:
            body["preconditions"] = preconditions
        try:
            self.client.request(
                "DELETE",
                res.path(ns, name),
                body=body,
                timeout=self.timeout,
                verb="delete",
                kind=kind,
                namespace=ns,
                key=key,
            )
        except KubeApiError as exc:
            if exc.not_found:
                return False
            raise
        return True

    def wait_deleted(self, api_version: str, kind: str, namespace: str, name: str, *, timeout: float) -> None:
        """Block until the object no longer exists (watching it), or raise KubeError on timeout."""
        key = ResourceKey(api_version.rpartition("/")[0], kind, namespace, name)
        res = self.resource_for(api_version, kind, key)
        ns = namespace if res.namespaced else ""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            live = self.get(api_version, kind, ns, name)
            if live is None:
                return
            remaining = max(1, int(deadline - time.monotonic()))
            query = {
                "fieldSelector": f"metadata.name={name}",
                "resourceVersion": live["metadata"]["resourceVersion"],
                "timeoutSeconds": remaining,
            }
            stream = self.client.watch(res.path(ns), query, timeout=remaining + 5, kind=kind)
            try:
                for event in stream:
                    if event.get("type") == "DELETED":
                        return
            finally:
                stream.close()
        raise KubeError(
            self.client.name, f"{key}: still present after {timeout:.0f}s (finalizers?); check them"
        )
