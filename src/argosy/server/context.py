"""The per-server state every route reaches through ``request.app.state.ctx``.

Routes ask two questions of it: who is calling (:func:`argosy.server.deps.caller`)
and may they do this (:meth:`ServerContext.enforce`, or :meth:`allowed` to
filter lists). Everything else is read from Kubernetes on demand.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from argosy.logs import fields
from argosy.repo import RepoClient
from argosy.repo.client import RevisionReader
from argosy.server.appcache import ApplicationCaches
from argosy.server.auth.oidc.service import SSOService
from argosy.server.auth.sessions import Caller, SessionManager
from argosy.server.clusterinfo import ClusterInfoCache
from argosy.server.config import ServerConfig
from argosy.server.errors import UNAVAILABLE, APIError, hidden, not_found, permission_denied
from argosy.server.kubeapi import KubeAPI
from argosy.server.rbac import enforce_claims
from argosy.server.settings import Settings
from argosy.server.treecache import SharedTrees
from argosy.settings.clusters import ClusterConfig

log = logging.getLogger(__name__)


class ServerContext:
    def __init__(self, kube: KubeAPI, config: ServerConfig) -> None:
        self.kube = kube
        self.config = config
        self.namespace = config.namespace
        self.settings = Settings(kube, config.namespace)
        self.sso = SSOService(self.settings.argocd_cm, self.settings.secret_value, self.settings.signing_key)
        #: Plain HTTP (decided at start from --insecure or argocd-cmd-params-cm).
        self.insecure = bool(config.insecure)
        self.sessions = SessionManager(
            accounts=self.settings.accounts,
            signing_key=self.settings.signing_key,
            session_seconds=self.settings.session_duration,
            get_project=self.get_project,
            throttle=config.throttle,
            delay_range=config.login_delay,
            sso_verify=self.sso.verify,
            clock=config.clock,
        )
        #: The implicit in-cluster destination: the server's own cluster access.
        self.in_cluster: ClusterConfig = kube.client.cluster
        self.cluster_info = ClusterInfoCache(ttl=config.cluster_info_ttl)
        self._renderer: RepoClient | None = None
        #: Applications per namespace from one watch each: lists and streams read from here.
        self.apps = ApplicationCaches(kube.client, config.watch_timeout)
        kube.written.append(self._app_written)
        #: The last resource tree per application, shared by its streams (each serialized event).
        self.trees: SharedTrees[str] = SharedTrees(max_age=config.tree_refresh / 2)
        self._renderer_lock = threading.Lock()

    def _app_written(self, namespace: str, plural: str, name: str, obj: dict[str, Any] | None) -> None:
        cache = self.apps.peek(namespace) if plural == "applications" else None
        if cache is None:
            return
        if obj is None:
            cache.forget(name)
        else:
            cache.observe(obj)

    @property
    def renderer(self) -> RepoClient:
        """The repo service for /manifests and /managed-resources, made on first use."""
        with self._renderer_lock:
            if self._renderer is None:
                from argosy.repo import HttpRepoClient, RepoService

                repo_server = self.config.repo_server
                self._renderer = HttpRepoClient(repo_server) if repo_server else RepoService()
            return self._renderer

    @property
    def revisions(self) -> RevisionReader:
        """The same repo service, for commit metadata (``/revisions/{revision}/metadata``)."""
        renderer = self.renderer
        if not isinstance(renderer, RevisionReader):
            raise APIError(UNAVAILABLE, "the repo service in use cannot read commit metadata")
        return renderer

    def secrets(self, secret_type: str) -> list[dict[str, Any]]:
        """Secrets labelled ``argocd.argoproj.io/secret-type: <type>`` in the control-plane namespace."""
        selector = f"argocd.argoproj.io/secret-type={secret_type}"
        return [dict(s) for s in self.kube.list(self.namespace, "secrets", selector)]

    def configmap_data(self, name: str) -> dict[str, str]:
        return self.settings.configmap_data(name)

    def secret(self, name: str) -> dict[str, Any] | None:
        """One Secret of the control-plane namespace (SOPS key Secrets), None when missing."""
        return self.kube.get(self.namespace, "secrets", name)

    def get_project(self, name: str) -> Mapping[str, Any] | None:
        return self.kube.get_argo(self.namespace, "appprojects", name)

    def project(self, name: str) -> Mapping[str, Any] | None:
        """:class:`~argosy.appstate.inputs.ControlPlaneReader`'s name for :meth:`get_project`."""
        return self.get_project(name)

    def allowed(self, caller: Caller, resource: str, action: str, obj: str) -> bool:
        if self.config.core:
            return True  # --core: the kubeconfig's Kubernetes RBAC decides, as in Argo CD
        config, enforcer = self.settings.rbac()
        return enforce_claims(
            enforcer,
            caller.claims,
            resource,
            action,
            obj,
            scopes=config.scopes,
            get_project=self.get_project,
        )

    def allowed_checker(self, caller: Caller, resource: str, action: str) -> Callable[[str], bool]:
        """``allowed`` for many objects of one list request: the RBAC settings and the
        projects are read once, not once per item (a list of 1,000 apps made 1,000 reads)."""
        if self.config.core:
            return lambda obj: True
        config, enforcer = self.settings.rbac()
        projects: dict[str, Mapping[str, Any] | None] = {}

        def project(name: str) -> Mapping[str, Any] | None:
            if name not in projects:
                projects[name] = self.get_project(name)
            return projects[name]

        def check(obj: str) -> bool:
            return enforce_claims(
                enforcer, caller.claims, resource, action, obj, scopes=config.scopes, get_project=project
            )

        return check

    def enforce(self, caller: Caller, resource: str, action: str, obj: str) -> None:
        """Raise 403 (naming the resource, action and object) unless the caller may do it."""
        if not self.allowed(caller, resource, action, obj):
            log.info(
                "permission denied",
                extra=fields(user=caller.username, resource=resource, action=action, object=obj),
            )
            raise permission_denied(resource, action, obj)

    def ensure_visible(
        self,
        caller: Caller,
        resource: str,
        actions: tuple[str, ...],
        found: str | None,
        *,
        any_project: tuple[str, ...],
        kind: str,
        given: str,
    ) -> None:
        """Raise unless the caller may know whether the object named ``given`` exists.

        ``found`` is the RBAC object of the object looked up (None when there is none). A caller
        allowed one of ``actions`` on it sees it; a missing object is a 404 only for a caller
        allowed on every ``any_project`` object (its RBAC objects whatever the project, such as
        ``*/<name>``), who would see it in any project anyway. Everyone else gets the same 403
        for a missing object as for one of a project they may not see.
        """
        if found is not None:
            if any(self.allowed(caller, resource, action, found) for action in actions):
                return
        elif all(any(self.allowed(caller, resource, a, obj) for a in actions) for obj in any_project):
            raise not_found(kind, given)
        log.info(
            "permission denied",
            extra=fields(user=caller.username, resource=resource, action=actions[-1], object=found or given),
        )
        raise hidden(resource, actions[-1], given)
