"""``/api/v1/clusters``: destination clusters, from cluster Secrets (credentials never returned).

RBAC object: ``<project>/<server>`` for a project-scoped cluster, else the
server URL, as Argo CD. The in-cluster destination always exists (unless
``cluster.inClusterEnabled: "false"``) and cannot be deleted.

Each cluster comes with Argo CD's ``connectionState`` (``Successful`` or
``Failed`` with the reason), ``serverVersion`` and ``info``
(``applicationsCount`` too), from a probe of the cluster cached for a few
seconds (:mod:`argosy.server.clusterinfo`). ``PUT`` updates the fields
named in ``updatedFields`` (name, namespaces, clusterResources, labels,
annotations, project) in the cluster Secret after checking the cluster still
answers, as Argo CD does; credentials are changed with ``argosy cluster add
--upsert``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from argosy.kube.errors import KubeError, http_status
from argosy.server.apps import CLUSTER_SELECTOR
from argosy.server.auth.sessions import Caller
from argosy.server.clusterinfo import ClusterInfo, probe
from argosy.server.context import ServerContext
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import ABORTED, INVALID_ARGUMENT, UNAVAILABLE, APIError, from_kube, not_found
from argosy.settings.clusters import ClusterConfig, cluster_list, is_cluster_secret
from argosy.settings.repositories import SECRET_TYPE_LABEL

router = APIRouter(tags=["ClusterService"])


def _clusters(ctx: ServerContext) -> list[ClusterConfig]:
    secrets = [s for s in ctx.kube.list(ctx.namespace, "secrets", CLUSTER_SELECTOR) if is_cluster_secret(s)]
    enabled = ctx.settings.argocd_cm().get("cluster.inClusterEnabled", "true").strip().lower() != "false"
    return list(cluster_list(secrets, in_cluster=ctx.in_cluster, in_cluster_enabled=enabled).clusters)


def rbac_object(cluster: ClusterConfig) -> str:
    return f"{cluster.project}/{cluster.server}" if cluster.project else cluster.server


def to_api(cluster: ClusterConfig, info: ClusterInfo | None = None, apps: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {
        "server": cluster.server,
        "name": cluster.display_name,
        "config": {"tlsClientConfig": {"insecure": cluster.tls.insecure}},
        "namespaces": list(cluster.namespaces),
        "clusterResources": cluster.cluster_resources,
        "project": cluster.project,
        "labels": dict(cluster.labels),
        "annotations": dict(cluster.annotations),
        "connectionState": {"status": "Unknown"},
    }
    if info is not None:
        state = info.connection_state()
        # Argo CD fills both the deprecated top-level fields and ``info``.
        out["connectionState"] = state
        out["serverVersion"] = info.server_version
        out["info"] = {
            "connectionState": state,
            "serverVersion": info.server_version,
            "applicationsCount": apps,
            "cacheInfo": {},
        }
    return out


def _app_counts(ctx: ServerContext, clusters: list[ClusterConfig]) -> dict[str, int]:
    """Applications per cluster server (destination by server or by name), as ``info.applicationsCount``."""
    by_name = {c.display_name: c.server for c in clusters}
    counts: dict[str, int] = {}
    try:
        apps = ctx.kube.list_argo(ctx.namespace, "applications").get("items") or []
    except KubeError:
        return counts
    for app in apps:
        dest = (app.get("spec") or {}).get("destination") or {}
        server = str(dest.get("server") or "").rstrip("/") or by_name.get(str(dest.get("name") or ""), "")
        if server:
            counts[server] = counts.get(server, 0) + 1
    return counts


def _with_info(ctx: ServerContext, clusters: list[ClusterConfig]) -> list[dict[str, Any]]:
    infos = ctx.cluster_info.get_many(clusters)
    counts = _app_counts(ctx, _clusters(ctx))
    return [to_api(c, i, counts.get(c.server, 0)) for c, i in zip(clusters, infos, strict=True)]


def _lookup(ctx: ServerContext, server: str, id_type: str) -> ClusterConfig | None:
    by_name = id_type in ("name", "name_escaped")
    for cluster in _clusters(ctx):
        if (by_name and cluster.display_name == server) or (
            not by_name and cluster.server == server.rstrip("/")
        ):
            return cluster
    return None


def _find(ctx: ServerContext, server: str, id_type: str) -> ClusterConfig:
    cluster = _lookup(ctx, server, id_type)
    if cluster is None:
        raise not_found("cluster", server)
    return cluster


def _authorized(ctx: ServerContext, caller: Caller, server: str, id_type: str, action: str) -> ClusterConfig:
    """The cluster, if the caller may ``action`` it; a missing cluster answers the same 403 as a
    hidden one (as Argo CD's getClusterWith403IfNotExist), so servers and names cannot be probed."""
    cluster = _lookup(ctx, server, id_type)
    # The RBAC objects a cluster of this server would have, in no project or in any.
    target = "*" if id_type in ("name", "name_escaped") else server.rstrip("/")
    ctx.ensure_visible(
        caller,
        "clusters",
        (action,),
        rbac_object(cluster) if cluster is not None else None,
        any_project=(target, f"*/{target}"),
        kind="cluster",
        given=server,
    )
    if cluster is None:  # ensure_visible raised already
        raise not_found("cluster", server)
    return cluster


IdType = Query("", alias="id.type", description="server (default) or name: how the path names the cluster")


@router.get("/api/v1/clusters")
def list_clusters(caller: Auth, ctx: Ctx) -> dict[str, Any]:
    may_get = ctx.allowed_checker(caller, "clusters", "get")
    allowed = [c for c in _clusters(ctx) if may_get(rbac_object(c))]
    return {"metadata": {}, "items": _with_info(ctx, allowed)}


@router.get("/api/v1/clusters/{server:path}")
def get_cluster(
    server: str, caller: Auth, ctx: Ctx, id_type: str = "", id_dot_type: str = IdType
) -> dict[str, Any]:
    cluster = _authorized(ctx, caller, server, id_dot_type or id_type, "get")
    return _with_info(ctx, [cluster])[0]


class ClusterCreate(BaseModel):
    server: str
    name: str = ""
    config: dict[str, Any] = Field(default_factory=dict)
    namespaces: list[str] = Field(default_factory=list)
    clusterResources: bool = False
    project: str = ""
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


def secret_name_for(server: str) -> str:
    """``cluster-<host>-<hash>``, the naming Argo CD uses for cluster Secrets."""
    host = (urlsplit(server).hostname or "cluster").replace(".", "-")[:40].strip("-")
    digest = int(hashlib.sha256(server.encode()).hexdigest()[:8], 16)
    return f"cluster-{host}-{digest}"


@router.post("/api/v1/clusters")
def create_cluster(body: ClusterCreate, caller: Auth, ctx: Ctx, upsert: bool = False) -> dict[str, Any]:
    server = body.server.rstrip("/")
    if not urlsplit(server).scheme:
        raise APIError(
            INVALID_ARGUMENT, f"cluster server {body.server!r} must be a URL such as https://host:6443"
        )
    obj = f"{body.project}/{server}" if body.project else server
    ctx.enforce(caller, "clusters", "create", obj)
    string_data = {"server": server, "name": body.name or server, "config": json.dumps(body.config)}
    if body.namespaces:
        string_data["namespaces"] = ",".join(body.namespaces)
    if body.clusterResources:
        string_data["clusterResources"] = "true"
    if body.project:
        string_data["project"] = body.project
    secret: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": secret_name_for(server),
            "namespace": ctx.namespace,
            "labels": {**body.labels, SECRET_TYPE_LABEL: "cluster"},
            "annotations": {**body.annotations, "managed-by": "argocd.argoproj.io"},
        },
        "type": "Opaque",
        "stringData": string_data,
    }
    existing = next((c for c in _clusters(ctx) if c.server == server and c.secret_name), None)
    try:
        if existing is not None:
            if not upsert:
                raise APIError(
                    INVALID_ARGUMENT,
                    f"cluster {server} already exists (Secret {existing.secret_name}): "
                    "use upsert to replace it",
                )
            ctx.enforce(caller, "clusters", "update", obj)
            secret["metadata"]["name"] = existing.secret_name
            current = ctx.kube.get(ctx.namespace, "secrets", existing.secret_name) or {}
            secret["metadata"]["resourceVersion"] = (current.get("metadata") or {}).get("resourceVersion")
            ctx.kube.replace(ctx.namespace, "secrets", secret)
        else:
            ctx.kube.create(ctx.namespace, "secrets", secret)
    except KubeError as err:
        raise from_kube(err, f"cluster {server}") from None
    return to_api(_find(ctx, server, ""))


@router.delete("/api/v1/clusters/{server:path}")
def delete_cluster(
    server: str, caller: Auth, ctx: Ctx, id_type: str = "", id_dot_type: str = IdType
) -> dict[str, Any]:
    cluster = _authorized(ctx, caller, server, id_dot_type or id_type, "delete")
    if not cluster.secret_name:
        raise APIError(
            INVALID_ARGUMENT,
            f"cluster {cluster.server} is the built-in in-cluster destination and has no Secret to delete; "
            'set cluster.inClusterEnabled: "false" in argocd-cm to disable it',
        )
    try:
        ctx.kube.delete(ctx.namespace, "secrets", cluster.secret_name)
    except KubeError as err:
        raise from_kube(err, f"cluster {cluster.server}") from None
    return {}


#: The fields ``updatedFields`` may name; ``config`` (credentials) is changed with ``cluster add --upsert``.
UPDATABLE = ("name", "namespaces", "clusterResources", "labels", "annotations", "project")


def _updated_fields(requested: list[str]) -> list[str]:
    fields = [f for part in requested for f in part.split(",") if f]
    unknown = [f for f in fields if f not in UPDATABLE]
    if unknown:
        raise APIError(
            INVALID_ARGUMENT,
            f"cannot update cluster field(s) {', '.join(unknown)}: updatable are {', '.join(UPDATABLE)} "
            "(change credentials with 'argosy cluster add --upsert')",
        )
    return fields or list(UPDATABLE)


def _write_secret(ctx: ServerContext, cluster: ClusterConfig, new: ClusterCreate, fields: list[str]) -> None:
    """Change the cluster Secret (creating one for the in-cluster destination, as Argo CD does)."""
    for _ in range(10):
        current = ctx.kube.get(ctx.namespace, "secrets", cluster.secret_name) if cluster.secret_name else None
        secret: dict[str, Any] = current or {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": secret_name_for(cluster.server),
                "namespace": ctx.namespace,
                "labels": {**cluster.labels, SECRET_TYPE_LABEL: "cluster"},
                "annotations": {**cluster.annotations, "managed-by": "argocd.argoproj.io"},
            },
            "data": {},
        }
        string_data: dict[str, str] = {"server": cluster.server}
        if current is None:
            string_data["config"] = json.dumps({"tlsClientConfig": {"insecure": False}})
        meta = secret["metadata"]
        if "name" in fields:
            string_data["name"] = new.name or cluster.server
        if "namespaces" in fields:
            string_data["namespaces"] = ",".join(new.namespaces)
        if "clusterResources" in fields:
            string_data["clusterResources"] = "true" if new.clusterResources else "false"
        if "project" in fields:
            string_data["project"] = new.project
        if "labels" in fields:
            meta["labels"] = {**new.labels, SECRET_TYPE_LABEL: "cluster"}
        if "annotations" in fields:
            managed = (meta.get("annotations") or {}).get("managed-by")
            meta["annotations"] = {**new.annotations, **({"managed-by": managed} if managed else {})}
        secret["stringData"] = string_data
        try:
            if current is None:
                ctx.kube.create(ctx.namespace, "secrets", secret)
            else:
                ctx.kube.replace(ctx.namespace, "secrets", secret)
            return
        except KubeError as err:
            if http_status(err) != 409:
                raise from_kube(err, f"cluster {cluster.server}") from None
    raise APIError(ABORTED, f"cluster {cluster.server}: too many concurrent updates, retry", http_status=409)


@router.put("/api/v1/clusters/{server:path}")
def update_cluster(
    server: str,
    body: dict[str, Any],
    caller: Auth,
    ctx: Ctx,
    updatedFields: Annotated[list[str] | None, Query()] = None,
    id_type: str = "",
    id_dot_type: str = IdType,
) -> dict[str, Any]:
    """Argo CD's ClusterService.Update: the body is the cluster; ``updatedFields`` says which fields count.

    Without ``updatedFields`` every updatable field is taken from the body.
    The new name is taken as given (Argo CD accepts any, e.g. EKS ARNs); the
    CLI checks RFC 1123 before it asks.
    """
    if isinstance(body.get("cluster"), dict):  # also accept {"cluster": ..., "updatedFields": [...]}
        updatedFields = updatedFields or list(body.get("updatedFields") or [])
        body = body["cluster"]
    try:
        new = ClusterCreate.model_validate({"server": server, **body})
    except ValueError as exc:
        raise APIError(INVALID_ARGUMENT, f"cluster {server}: {exc}") from None
    cluster = _authorized(ctx, caller, server, id_dot_type or id_type, "update")
    fields = _updated_fields(updatedFields or [])
    if "project" in fields:
        target = f"{new.project}/{cluster.server}" if new.project else cluster.server
        ctx.enforce(caller, "clusters", "update", target)
    info = probe(cluster, ctx.cluster_info.timeout)  # as Argo CD: test the cluster before persisting
    if not info.ok:
        raise APIError(
            UNAVAILABLE,
            f"cluster {cluster.server} does not answer, nothing was changed: {info.message}",
        )
    _write_secret(ctx, cluster, new, fields)
    updated = _find(ctx, cluster.server, "")
    ctx.cluster_info.put(updated, info)
    return _with_info(ctx, [updated])[0]
