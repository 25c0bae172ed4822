"""Kubernetes Events on Argo CD objects: one way to write them, for every component.

Events are best effort: a failure to record one is logged and never fails the
work it describes. ``component`` is the ``source.component`` kubectl shows
(``argosy-application-controller``, ``argocd-image-updater``...).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError

log = logging.getLogger(__name__)


def record_event(
    client: KubeClient, obj: dict[str, Any], reason: str, message: str, type_: str, component: str
) -> None:
    """POST an Event about ``obj`` (an Application unless its apiVersion/kind say otherwise)."""
    meta = obj.get("metadata") or {}
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"generateName": f"{meta.get('name')}.", "namespace": meta.get("namespace")},
        "involvedObject": {
            "apiVersion": obj.get("apiVersion") or "argoproj.io/v1alpha1",
            "kind": obj.get("kind") or "Application",
            "name": meta.get("name"),
            "namespace": meta.get("namespace"),
            "uid": meta.get("uid"),
        },
        "reason": reason,
        "message": message[:1024],
        "type": type_,
        "source": {"component": component},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
    }
    try:
        client.request(
            "POST",
            f"/api/v1/namespaces/{meta.get('namespace')}/events",
            body=event,
            verb="create",
            kind="Event",
            namespace=str(meta.get("namespace") or ""),
        )
    except KubeError as exc:
        log.warning("could not record event %s for %s: %s", reason, meta.get("name"), exc)
