"""Shared rules for the application routes: lookup, RBAC object, project validation, safe writes.

Kept apart from the routes so CRUD, operations and read-only views all use
the same definition of "the caller's application" and the same fence.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from typing import Any

from argosy.appset.names import invalid_name_reason
from argosy.appstate.inputs import resolve_destination
from argosy.engine.diff import IgnoreRuleError, rules_from_application
from argosy.engine.project import check_application
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError, http_status
from argosy.model.application import ApplicationSpec
from argosy.server.auth.sessions import Caller
from argosy.server.context import ServerContext
from argosy.server.errors import (
    ABORTED,
    INVALID_ARGUMENT,
    PERMISSION_DENIED,
    UNAVAILABLE,
    APIError,
    from_kube,
    namespace_not_permitted,
    not_found,
)
from argosy.server.rbac import app_rbac_object
from argosy.settings.clusters import cluster_list, is_cluster_secret

PLURAL = "applications"
PROJECTS = "appprojects"
CLUSTER_SELECTOR = "argocd.argoproj.io/secret-type=cluster"


def destination_client(ctx: ServerContext, app: Mapping[str, Any]) -> tuple[KubeClient, bool]:
    """A client of the app's destination cluster and whether it was opened for this request
    (then the caller closes it); the server's own client for the in-cluster destination."""
    dest = (app.get("spec") or {}).get("destination") or {}
    try:
        cluster = resolve_destination(ctx, dest, ctx.kube.client.cluster)
    except LookupError as exc:
        raise APIError(INVALID_ARGUMENT, f"spec.destination: {exc}") from None
    if cluster.server == ctx.kube.client.cluster.server:
        return ctx.kube.client, False
    try:
        return KubeClient(cluster), True
    except KubeError as exc:
        raise APIError(UNAVAILABLE, f"cluster {cluster.describe()}: {exc}") from None


def project_of(app: Mapping[str, Any]) -> str:
    """``spec.project``, ``default`` when empty (Argo CD's GetProject)."""
    return str((app.get("spec") or {}).get("project") or "default")


def rbac_object(ctx: ServerContext, app: Mapping[str, Any]) -> str:
    meta = app.get("metadata") or {}
    return app_rbac_object(
        project_of(app), str(meta.get("name") or ""), str(meta.get("namespace") or ""), ctx.namespace
    )


def app_namespace(ctx: ServerContext, requested: str | None) -> str:
    """The namespace the request means (the control plane's by default), refused with 403 unless
    Argosy manages Applications there (``application.namespaces``): an Application someone put
    in another namespace is not Argosy's, whatever its project says."""
    ns = requested or ctx.namespace
    if not ctx.settings.app_namespace_enabled(ns):
        raise namespace_not_permitted(ns, ctx.namespace)
    return ns


def find_app(ctx: ServerContext, name: str, namespace: str | None = None) -> dict[str, Any] | None:
    """The Application, None when there is none; a name no Kubernetes object can have (``a/b``,
    ``%2F``, ``..``) is one there is none of, so it is refused like any missing app."""
    ns = app_namespace(ctx, namespace)
    if invalid_name_reason(name):
        return None
    try:
        return ctx.kube.get_argo(ns, PLURAL, name)
    except KubeError as err:
        raise from_kube(err, f"application '{name}'") from None


def get_app(ctx: ServerContext, name: str, namespace: str | None = None) -> dict[str, Any]:
    app = find_app(ctx, name, namespace)
    if app is None:
        raise not_found("application", name, app_namespace(ctx, namespace))
    return app


def get_authorized_app(
    ctx: ServerContext, caller: Caller, name: str, action: str, namespace: str | None = None
) -> dict[str, Any]:
    """The application, after checking ``applications, <action>, <project>/<name>``.

    A caller who may neither ``get`` nor ``<action>`` the application gets the same 403 whether
    it exists or not (as Argo CD), so names cannot be probed; one who may see it learns which
    action is missing.
    """
    app = find_app(ctx, name, namespace)
    ns = app_namespace(ctx, namespace)
    ctx.ensure_visible(
        caller,
        "applications",
        ("get", action),
        rbac_object(ctx, app) if app is not None else None,
        any_project=(app_rbac_object("*", name, ns, ctx.namespace),),
        kind="application",
        given=name,
    )
    if app is None:  # ensure_visible raised already
        raise not_found("application", name, ns)
    ctx.enforce(caller, "applications", action, rbac_object(ctx, app))
    return app


def clusters_for_check(ctx: ServerContext) -> list[dict[str, Any]]:
    secrets = [s for s in ctx.kube.list(ctx.namespace, "secrets", CLUSTER_SELECTOR) if is_cluster_secret(s)]
    enabled = ctx.settings.argocd_cm().get("cluster.inClusterEnabled", "true").strip().lower() != "false"
    listing = cluster_list(secrets, in_cluster_enabled=enabled)
    return [{"server": c.server, "name": c.display_name, "project": c.project} for c in listing.clusters]


def validate_app(ctx: ServerContext, app: Mapping[str, Any]) -> None:
    """Refuse a malformed spec (400 naming each field) or one its AppProject does not allow.

    The project's refusals are 400 naming the rule, or 403 for sourceNamespaces.
    ``ignoreDifferences`` rules are parsed and their jq expressions compiled (bounded:
    expressions are capped in length, and compiling runs nothing), so a rule the
    controller would refuse is refused at once.
    """
    meta = app.get("metadata") or {}
    name = str(meta.get("name") or "")
    spec = ApplicationSpec.from_dict(app.get("spec"), "spec")
    if spec.errors:
        raise APIError(INVALID_ARGUMENT, _invalid(name, spec.errors))
    try:
        rules_from_application((app.get("spec") or {}).get("ignoreDifferences"))
    except IgnoreRuleError as exc:
        raise APIError(INVALID_ARGUMENT, _invalid(name, [str(exc)])) from exc
    project_name = project_of(app)
    project = ctx.get_project(project_name)
    if project is None:
        raise APIError(
            INVALID_ARGUMENT,
            f"application '{name}' references project {project_name} which does not exist: "
            "create the AppProject first or set spec.project",
        )
    violations = check_application(
        project, app, control_plane_namespace=ctx.namespace, clusters=clusters_for_check(ctx)
    )
    if not violations:
        return
    code = PERMISSION_DENIED if any(v.rule == "sourceNamespaces" for v in violations) else INVALID_ARGUMENT
    raise APIError(code, _invalid(name, [f"{v.message} (rule: {v.rule})" for v in violations]))


def _invalid(name: str, problems: list[str]) -> str:
    """Argo CD's wording, so scripts matching on it keep working."""
    return f"application spec for {name} is invalid: InvalidSpecError: {'; '.join(problems)}"


def update_app(
    ctx: ServerContext,
    name: str,
    namespace: str | None,
    mutate: Callable[[dict[str, Any]], None],
    attempts: int = 10,
) -> dict[str, Any]:
    """Re-read, change and write the application until no one else wrote in between."""
    ns = app_namespace(ctx, namespace)
    for _ in range(attempts):
        app = get_app(ctx, name, ns)
        updated = copy.deepcopy(app)
        mutate(updated)
        try:
            return ctx.kube.replace_argo(ns, PLURAL, updated)
        except KubeError as err:
            if http_status(err) != 409:
                raise from_kube(err, f"application '{name}'") from None
            time.sleep(0.05)
    raise APIError(
        ABORTED, f"application '{name}': too many concurrent updates, retry the request", http_status=409
    )
