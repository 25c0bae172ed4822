"""``/api/v1/clusters``: destination clusters, from cluster Secrets (credentials never returned).

RBAC object: ``<project>/<server>`` for a project-scoped cluster, else the
server URL, as Argo CD. The in-cluster destination always exists (unless
``cluster.inClusterEnabled: "false"``) and cannot be deleted.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter
from pydantic import BaseModel, Field

from argosy.server.apps import CLUSTER_SELECTOR
from argosy.server.context import ServerContext
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import INVALID_ARGUMENT, APIError, not_found
from argosy.server.kubeapi import KubeError
from argosy.settings.clusters import ClusterConfig, cluster_list, is_cluster_secret
from argosy.settings.repositories import SECRET_TYPE_LABEL

router = APIRouter(tags=["ClusterService"])


def _clusters(ctx: ServerContext) -> list[ClusterConfig]:
    secrets = [s for s in ctx.kube.list(ctx.namespace, "secrets", CLUSTER_SELECTOR) if is_cluster_secret(s)]
    enabled = ctx.settings.argocd_cm().get("cluster.inClusterEnabled", "true").strip().lower() != "false"
    return list(cluster_list(secrets, in_cluster_enabled=enabled).clusters)


def rbac_object(cluster: ClusterConfig) -> str:
    return f"{cluster.project}/{cluster.server}" if cluster.project else cluster.server


def to_api(cluster: ClusterConfig) -> dict[str, Any]:
    return {
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


def _find(ctx: ServerContext, server: str, id_type: str) -> ClusterConfig:
    for cluster in _clusters(ctx):
        if (id_type == "name" and cluster.display_name == server) or (
            id_type != "name" and cluster.server == server.rstrip("/")
        ):
            return cluster
    raise not_found("cluster", server)


@router.get("/api/v1/clusters")
def list_clusters(caller: Auth, ctx: Ctx) -> dict[str, Any]:
    items = [to_api(c) for c in _clusters(ctx) if ctx.allowed(caller, "clusters", "get", rbac_object(c))]
    return {"metadata": {}, "items": items}


@router.get("/api/v1/clusters/{server:path}")
def get_cluster(server: str, caller: Auth, ctx: Ctx, id_type: str = "") -> dict[str, Any]:
    cluster = _find(ctx, server, id_type)
    ctx.enforce(caller, "clusters", "get", rbac_object(cluster))
    return to_api(cluster)


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
        raise err.to_api_error(f"cluster {server}") from None
    return to_api(_find(ctx, server, ""))


@router.delete("/api/v1/clusters/{server:path}")
def delete_cluster(server: str, caller: Auth, ctx: Ctx, id_type: str = "") -> dict[str, Any]:
    cluster = _find(ctx, server, id_type)
    ctx.enforce(caller, "clusters", "delete", rbac_object(cluster))
    if not cluster.secret_name:
        raise APIError(
            INVALID_ARGUMENT,
            f"cluster {cluster.server} is the built-in in-cluster destination and has no Secret to delete; "
            'set cluster.inClusterEnabled: "false" in argocd-cm to disable it',
        )
    try:
        ctx.kube.delete(ctx.namespace, "secrets", cluster.secret_name)
    except KubeError as err:
        raise err.to_api_error(f"cluster {cluster.server}") from None
    return {}
