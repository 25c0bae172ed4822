"""The application's resource tree: its managed resources (``status.resources``) plus what the
destination cluster adds - the ReplicaSets, Jobs and Pods they own and each Service's,
Ingress's and Pod's ``networkingInfo`` (rules in :mod:`argosy.server.networking`).

Objects are read with one list per kind and namespace the app uses (not one request per
object), and only the kinds that can matter: children where the app has workloads,
Services and Ingresses where it manages some. If the destination cannot be read, the tree
still answers its managed resources (as Argo CD's tree does from its cache while a cluster
is unreachable); the reason is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from argosy.engine.health.assess import assess
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError, http_status
from argosy.logs import fields
from argosy.server.apps import destination_client
from argosy.server.context import ServerContext
from argosy.server.errors import APIError
from argosy.server.networking import networking_info, owned_children, ref_dict
from argosy.server.podlogs import ObjKey, key_of

log = logging.getLogger(__name__)

Obj = dict[str, Any]

WORKLOADS = {
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("apps", "ReplicaSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
}
#: (group, kind) -> (apiVersion, collection path under /api or /apis, with {ns})
LISTS: dict[tuple[str, str], tuple[str, str]] = {
    ("", "Pod"): ("v1", "/api/v1/namespaces/{ns}/pods"),
    ("apps", "ReplicaSet"): ("apps/v1", "/apis/apps/v1/namespaces/{ns}/replicasets"),
    ("batch", "Job"): ("batch/v1", "/apis/batch/v1/namespaces/{ns}/jobs"),
    ("", "Service"): ("v1", "/api/v1/namespaces/{ns}/services"),
    ("networking.k8s.io", "Ingress"): (
        "networking.k8s.io/v1",
        "/apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
    ),
}
CHILD_KINDS = (("apps", "ReplicaSet"), ("batch", "Job"), ("", "Pod"))


def managed_nodes(app: Mapping[str, Any]) -> list[Obj]:
    """``status.resources`` as Argo CD's ResourceNodes (group, version, kind, namespace, name, health)."""
    nodes = []
    for res in (app.get("status") or {}).get("resources") or []:
        if not isinstance(res, dict):
            continue
        node: Obj = {k: str(res.get(k) or "") for k in ("group", "version", "kind", "namespace", "name")}
        if isinstance(res.get("health"), dict):
            node["health"] = res["health"]
        nodes.append(node)
    return nodes


def kinds_to_list(managed: list[ObjKey]) -> dict[str, set[tuple[str, str]]]:
    """Per namespace, the kinds worth listing for this app's managed resources."""
    wanted: dict[str, set[tuple[str, str]]] = {}
    for group, kind, namespace, _ in managed:
        if not namespace:
            continue
        kinds = wanted.setdefault(namespace, set())
        if (group, kind) in WORKLOADS:
            kinds.update(CHILD_KINDS)
        elif (group, kind) in LISTS:
            kinds.add((group, kind))
        elif group == "extensions" and kind == "Ingress":
            kinds.add(("networking.k8s.io", "Ingress"))
    return wanted


def _list(client: KubeClient, group: str, kind: str, namespace: str) -> list[Obj]:
    api_version, path = LISTS[(group, kind)]
    try:
        body = client.request("GET", path.format(ns=quote(namespace, safe=""))) or {}
    except KubeError as exc:
        if http_status(exc) == 404:  # the API group is not served there (no Ingress API)
            return []
        raise
    # list items carry no apiVersion/kind; the keys below need them
    return [{**item, "apiVersion": api_version, "kind": kind} for item in body.get("items") or []]


def _health(obj: Obj) -> dict[str, str] | None:
    result = assess(obj)
    return result.to_dict() if result is not None else None


def child_node(obj: Obj, owner: ObjKey) -> Obj:
    group, kind, namespace, name = key_of(obj)
    meta = obj.get("metadata") or {}
    node: Obj = {
        "group": group,
        "version": str(obj.get("apiVersion") or "").rsplit("/", 1)[-1],
        "kind": kind,
        "namespace": namespace,
        "name": name,
        "uid": str(meta.get("uid") or ""),
        "parentRefs": [ref_dict(owner)],
    }
    if meta.get("creationTimestamp"):
        node["createdAt"] = meta["creationTimestamp"]
    health = _health(obj)
    if health:
        node["health"] = health
    info = networking_info(obj)
    if info is not None:
        node["networkingInfo"] = info
    return node


def tree_nodes(ctx: ServerContext, app: Mapping[str, Any]) -> list[Obj]:
    """Argo CD's ApplicationTree ``nodes`` for ``app`` (managed first, then their children)."""
    nodes = managed_nodes(app)
    keys = [(n["group"], n["kind"], n["namespace"], n["name"]) for n in nodes]
    wanted = kinds_to_list(keys)
    if not wanted:
        return nodes
    try:
        client, owned = destination_client(ctx, app)
    except APIError as exc:
        log.warning("resource tree without live objects", extra=fields(app=_name(app), error=exc.message))
        return nodes
    live: dict[ObjKey, Obj] = {}
    try:
        for namespace, kinds in sorted(wanted.items()):
            for group, kind in sorted(kinds):
                for obj in _list(client, group, kind, namespace):
                    live[key_of(obj)] = obj
    except KubeError as exc:
        log.warning("resource tree without live objects", extra=fields(app=_name(app), error=str(exc)))
        return nodes
    finally:
        if owned:
            client.close()
    for node, key in zip(nodes, keys, strict=True):
        group, kind, namespace, name = key
        if (group, kind) == ("extensions", "Ingress"):  # listed from networking.k8s.io
            group = "networking.k8s.io"
        found = live.get((group, kind, namespace, name))
        info = networking_info(found) if found is not None else None
        if info is not None:
            node["networkingInfo"] = info
    managed = set(keys)
    candidates = [o for k, o in live.items() if (k[0], k[1]) in CHILD_KINDS]
    nodes += [child_node(obj, owner) for obj, owner in owned_children(managed, candidates)]
    return nodes


def _name(app: Mapping[str, Any]) -> str:
    return str((app.get("metadata") or {}).get("name") or "")
