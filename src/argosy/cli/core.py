"""``--core``: the CLI without the API server, straight to the control-plane namespace.

As ``argocd login --core``: for teams that run only the controller, the CLI
reads and writes Applications, AppProjects and the cluster/repository Secrets
itself with the user's kubeconfig (so Kubernetes RBAC, not Argosy's, decides
what they may do). The namespace is ``--namespace`` at login, else the
kubeconfig context's namespace, else ``argocd``.

What the server would do is done here from the same building blocks:
project checks (``engine.project``), sync-window checks for manual syncs
(``engine.syncwindows``), sync requests written to the Application's
``operation`` field for the controller, and renders/diffs with the in-process
repo service (:mod:`argosy.cli.commands.core_render`). Cluster connection
status is probed live (``KubeClient.check``), since there is no server cache.
"""

from __future__ import annotations

import base64
import copy
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argosy.cli.commands.backend import EXIT_CONNECTION_FAILURE, CliError, Obj
from argosy.cli.commands.core_ops import operation_for_rollback, operation_for_sync
from argosy.engine.project import check_application, validate_project
from argosy.kube.clients import KubeClient
from argosy.kube.errors import ClusterUnreachable, KubeError
from argosy.model.constants import RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND
from argosy.settings.clusters import (
    ClusterConfig,
    ClusterSecretError,
    cluster_from_secret,
    cluster_list,
    in_cluster_config,
    is_cluster_secret,
)
from argosy.settings.repositories import SECRET_TYPE_LABEL, RepositorySecretError, repository_from_secret

ARGO = "/apis/argoproj.io/v1alpha1/namespaces/{ns}/{plural}"
CORE = "/api/v1/namespaces/{ns}/{plural}"


def kube_namespace(kubeconfig: str, context: str) -> str:
    """The namespace of the kubeconfig context (``argocd`` when it names none)."""
    from kubernetes import config

    k8s_config: Any = config
    try:
        contexts, current = k8s_config.list_kube_config_contexts(config_file=kubeconfig or None)
    except Exception:
        return "argocd"
    chosen = next((c for c in contexts if c.get("name") == context), None) if context else current
    return str(((chosen or {}).get("context") or {}).get("namespace") or "argocd")


class CoreBackend:
    """:class:`~argosy.cli.commands.backend.Backend` over the Kubernetes API of the control plane."""

    def __init__(self, client: KubeClient, namespace: str) -> None:
        self.client = client
        self.namespace = namespace

    @classmethod
    def connect(cls, *, kubeconfig: str = "", context: str = "", namespace: str = "") -> CoreBackend:
        path = Path(kubeconfig).expanduser() if kubeconfig else None
        try:
            client = KubeClient(in_cluster_config(path, context))
        except KubeError as exc:
            raise CliError(
                f"--core needs a working kubeconfig: {exc} (set KUBECONFIG or --kube-context)",
                EXIT_CONNECTION_FAILURE,
            ) from None
        return cls(client, namespace or kube_namespace(kubeconfig, context))

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------ plumbing
    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        query: dict[str, Any] | None = None,
        content_type: str = "application/json",
    ) -> Any:
        try:
            return self.client.request(method, path, body=body, query=query, content_type=content_type)
        except ClusterUnreachable as exc:
            raise CliError(f"{exc} (is the kubeconfig right?)", EXIT_CONNECTION_FAILURE) from None
        except KubeError as exc:
            raise CliError(str(exc), status=int(getattr(exc, "status", 0) or 0)) from None

    def _argo(self, plural: str, name: str = "") -> str:
        base = ARGO.format(ns=self.namespace, plural=plural)
        return f"{base}/{name}" if name else base

    def _core(self, plural: str, name: str = "") -> str:
        base = CORE.format(ns=self.namespace, plural=plural)
        return f"{base}/{name}" if name else base

    def _get_or_none(self, path: str) -> Obj | None:
        try:
            return dict(self.call("GET", path))
        except CliError as exc:
            if exc.status == 404:
                return None
            raise

    def _replace_loop(self, path: str, what: str, mutate: Callable[[Obj], None]) -> Obj:
        for _ in range(10):
            current = self._get_or_none(path)
            if current is None:
                raise CliError(f"{what} not found in namespace '{self.namespace}'")
            mutate(current)
            try:
                return dict(self.call("PUT", path, body=current))
            except CliError as exc:
                if exc.status != 409:
                    raise
                time.sleep(0.05)
        raise CliError(f"{what}: too many concurrent updates, try again")

    def configmap_data(self, name: str) -> dict[str, str]:
        cm = self._get_or_none(self._core("configmaps", name)) or {}
        return {str(k): str(v) for k, v in (cm.get("data") or {}).items()}

    def secret(self, name: str) -> Obj | None:
        """One Secret of the control-plane namespace (SOPS key Secrets), None when missing."""
        return self._get_or_none(self._core("secrets", name))

    def app_project(self, name: str) -> Obj | None:
        return self._get_or_none(self._argo("appprojects", name))

    def secrets(self, secret_type: str) -> list[Obj]:
        listing = self.call(
            "GET", self._core("secrets"), query={"labelSelector": f"{SECRET_TYPE_LABEL}={secret_type}"}
        )
        return [dict(s) for s in (listing or {}).get("items") or []]

    # ------------------------------------------------------------ applications
    def list_apps(self, projects: list[str], selector: str) -> list[Obj]:
        query = {"labelSelector": selector} if selector else None
        items = (self.call("GET", self._argo("applications"), query=query) or {}).get("items") or []
        out = [
            a
            for a in items
            if not projects or ((a.get("spec") or {}).get("project") or "default") in projects
        ]
        return sorted(out, key=lambda a: str(a["metadata"]["name"]))

    def get_app(self, name: str, refresh: str = "") -> Obj:
        path = self._argo("applications", name)
        if refresh:
            patch = {"metadata": {"annotations": {"argocd.argoproj.io/refresh": refresh}}}
            return dict(self.call("PATCH", path, body=patch, content_type="application/merge-patch+json"))
        app = self._get_or_none(path)
        if app is None:
            raise CliError(f"application '{name}' not found in namespace '{self.namespace}'")
        return app

    def cluster_list(self) -> list[ClusterConfig]:
        enabled = self.configmap_data("argocd-cm").get("cluster.inClusterEnabled", "true").lower() != "false"
        secrets = [s for s in self.secrets("cluster") if is_cluster_secret(s)]
        return list(
            cluster_list(secrets, in_cluster=self.client.cluster, in_cluster_enabled=enabled).clusters
        )

    def _validate(self, app: Obj) -> None:
        name = app["metadata"]["name"]
        project_name = str((app.get("spec") or {}).get("project") or "default")
        project = self._get_or_none(self._argo("appprojects", project_name))
        if project is None:
            raise CliError(
                f"application '{name}' references project {project_name} which does not exist: "
                "create it first ('argosy proj create')"
            )
        clusters = [
            {"server": c.server, "name": c.display_name, "project": c.project} for c in self.cluster_list()
        ]
        problems = check_application(project, app, control_plane_namespace=self.namespace, clusters=clusters)
        if problems:
            detail = "; ".join(f"{v.message} (rule: {v.rule})" for v in problems)
            raise CliError(f"application spec for {name} is invalid: InvalidSpecError: {detail}")

    def create_app(self, app: Obj, upsert: bool) -> Obj:
        app = copy.deepcopy(app)
        meta = app.setdefault("metadata", {})
        meta["namespace"] = self.namespace
        self._validate(app)
        existing = self._get_or_none(self._argo("applications", meta["name"]))
        if existing is None:
            return dict(self.call("POST", self._argo("applications"), body=app))
        if existing.get("spec") == app.get("spec"):
            return existing
        if not upsert:
            raise CliError(
                f"existing application spec is different, use upsert flag to force update "
                f"(application '{meta['name']}')"
            )
        return self.update_app_spec(meta["name"], app["spec"])

    def update_app_spec(self, name: str, spec: Obj) -> Obj:
        self._validate({"metadata": {"name": name, "namespace": self.namespace}, "spec": spec})
        return self._replace_loop(
            self._argo("applications", name), f"application '{name}'", lambda a: a.__setitem__("spec", spec)
        )

    def delete_app(self, name: str, cascade: bool, propagation: str) -> None:
        wanted = RESOURCES_FINALIZER_BACKGROUND if propagation == "background" else RESOURCES_FINALIZER

        def mutate(app: Obj) -> None:
            finalizers = [
                f
                for f in app["metadata"].get("finalizers") or []
                if f not in (RESOURCES_FINALIZER, RESOURCES_FINALIZER_BACKGROUND)
            ]
            app["metadata"]["finalizers"] = [*finalizers, wanted] if cascade else finalizers

        self._replace_loop(self._argo("applications", name), f"application '{name}'", mutate)
        self.call("DELETE", self._argo("applications", name))

    def _project(self, name: str) -> Obj:
        project = self._get_or_none(self._argo("appprojects", name))
        if project is None:
            raise CliError(f"project '{name}' not found in namespace '{self.namespace}'")
        return project

    def _set_operation(self, name: str, operation: Obj, *, disable_auto_sync: bool = False) -> Obj:
        def mutate(app: Obj) -> None:
            if app.get("operation"):
                raise CliError(
                    f"another operation is already in progress on application '{name}': wait for it or "
                    f"run 'argosy app terminate-op {name}'"
                )
            app["operation"] = operation
            (app.setdefault("status", {})).pop("operationState", None)
            policy = (app.get("spec") or {}).get("syncPolicy")
            if disable_auto_sync and isinstance(policy, dict):
                policy.pop("automated", None)  # as the server's rollback: in the same write

        return self._replace_loop(self._argo("applications", name), f"application '{name}'", mutate)

    def sync_app(self, name: str, request: Obj) -> Obj:
        app = self.get_app(name)
        project = self._project(str((app.get("spec") or {}).get("project") or "default"))
        return self._set_operation(name, operation_for_sync(app, project, request, datetime.now(UTC)))

    def rollback_app(self, name: str, history_id: int, prune: bool, dry_run: bool) -> Obj:
        app = self.get_app(name)
        operation = operation_for_rollback(app, history_id, prune, dry_run)
        return self._set_operation(name, operation, disable_auto_sync=not dry_run)

    def terminate_operation(self, name: str) -> None:
        def mutate(app: Obj) -> None:
            state = (app.get("status") or {}).get("operationState")
            if not app.get("operation") or not isinstance(state, dict):
                raise CliError(f"Unable to terminate operation. No operation is in progress on '{name}'")
            state["phase"] = "Terminating"

        self._replace_loop(self._argo("applications", name), f"application '{name}'", mutate)

    def manifests(self, name: str, revision: str) -> list[Obj]:
        from argosy.cli.commands.core_render import render_app

        app = self.get_app(name)
        return render_app(self, app, revision)

    def deletion_preview(self, name: str) -> list[Obj]:
        from argosy.cli.commands.core_render import preview_deletion

        return preview_deletion(self, self.get_app(name))

    def managed_resources(self, name: str) -> list[Obj]:
        from argosy.cli.commands.core_render import compare_live

        return compare_live(self, self.get_app(name))

    # ---------------------------------------------------------------- projects
    def list_projects(self) -> list[Obj]:
        items = (self.call("GET", self._argo("appprojects")) or {}).get("items") or []
        return sorted(items, key=lambda p: str(p["metadata"]["name"]))

    def get_project(self, name: str) -> Obj:
        return self._project(name)

    def _check_project(self, project: Obj) -> None:
        problems = [str(v) for v in validate_project(project)]
        if problems:
            raise CliError(f"AppProject '{project['metadata']['name']}' is invalid: " + "; ".join(problems))

    def create_project(self, project: Obj, upsert: bool) -> Obj:
        project = copy.deepcopy(project)
        project["metadata"]["namespace"] = self.namespace
        self._check_project(project)
        name = project["metadata"]["name"]
        existing = self._get_or_none(self._argo("appprojects", name))
        if existing is None:
            return dict(self.call("POST", self._argo("appprojects"), body=project))
        if existing.get("spec") == project.get("spec"):
            return existing
        if not upsert:
            raise CliError(f"existing project spec is different, use upsert flag to force update ({name})")
        return self.update_project(project)

    def update_project(self, project: Obj) -> Obj:
        self._check_project(project)
        name = project["metadata"]["name"]
        return self._replace_loop(
            self._argo("appprojects", name),
            f"project '{name}'",
            lambda p: p.__setitem__("spec", project["spec"]),
        )

    def delete_project(self, name: str) -> None:
        if name == "default":
            raise CliError("name 'default' is reserved and cannot be deleted")
        using = [a["metadata"]["name"] for a in self.list_apps([name], "")]
        if using:
            raise CliError(
                f"project '{name}' is referenced by {len(using)} applications: delete or move them first"
            )
        self.call("DELETE", self._argo("appprojects", name))

    def create_project_token(self, project: str, role: str, expires_in: int, token_id: str) -> str:
        raise CliError(
            "project tokens are signed by the API server: log in to a server (not --core) to create one"
        )

    # ---------------------------------------------------------------- clusters
    def list_clusters(self) -> list[Obj]:
        from argosy.cli.commands.core_render import probe_clusters

        return probe_clusters(self.cluster_list())

    def create_cluster(self, cluster: Obj, upsert: bool) -> Obj:
        from argosy.cli.commands.core_render import cluster_secret

        secret = cluster_secret(cluster, self.namespace)
        existing = next((c for c in self.cluster_list() if c.server == secret["stringData"]["server"]), None)
        if existing is not None and existing.secret_name:
            if not upsert:
                raise CliError(f"cluster {existing.server} already exists: pass --upsert to replace it")
            secret["metadata"]["name"] = existing.secret_name
            fields = {k: v for k, v in secret.items() if k != "metadata"}
            path = self._core("secrets", existing.secret_name)
            self._replace_loop(path, "cluster Secret", lambda s: s.update(fields))
        else:
            self.call("POST", self._core("secrets"), body=secret)
        return cluster

    def _cluster_secret_name(self, server_or_name: str) -> str:
        for c in self.cluster_list():
            if server_or_name in (c.server, c.display_name):
                if not c.secret_name:
                    raise CliError(
                        f"cluster {c.server} is the built-in in-cluster destination and has no Secret; "
                        'set cluster.inClusterEnabled: "false" in argocd-cm to disable it'
                    )
                return c.secret_name
        raise CliError(f"cluster '{server_or_name}' not found: see 'argosy cluster list'")

    def delete_cluster(self, server_or_name: str) -> None:
        self.call("DELETE", self._core("secrets", self._cluster_secret_name(server_or_name)))

    def update_cluster(self, server_or_name: str, name: str, labels: dict[str, str]) -> Obj:
        secret_name = self._cluster_secret_name(server_or_name)

        def mutate(secret: Obj) -> None:
            if name:
                secret.setdefault("data", {})["name"] = base64.b64encode(name.encode()).decode()
            if labels:
                secret["metadata"]["labels"] = {**(secret["metadata"].get("labels") or {}), **labels}

        updated = self._replace_loop(
            self._core("secrets", secret_name), f"cluster Secret {secret_name}", mutate
        )
        try:
            c = cluster_from_secret(updated)
        except ClusterSecretError as exc:
            raise CliError(str(exc)) from None
        return {"server": c.server, "name": c.display_name, "labels": dict(c.labels)}

    # ------------------------------------------------------------ repositories
    def list_repos(self) -> list[Obj]:
        out: list[Obj] = []
        for secret in self.secrets("repository"):
            try:
                r = repository_from_secret(secret)
            except RepositorySecretError:
                continue
            out.append(
                {
                    "repo": r.url,
                    "type": r.type or "git",
                    "name": r.name,
                    "project": r.project,
                    "insecure": r.insecure,
                    "enableLfs": r.enable_lfs,
                    "enableOCI": r.enable_oci,
                    "username": r.username,
                    "connectionState": {"status": "Unknown"},
                }
            )
        return out

    def create_repo(self, repo: Obj, upsert: bool) -> Obj:
        from argosy.cli.commands.core_render import repo_secret

        secret = repo_secret(repo, self.namespace)
        if self._get_or_none(self._core("secrets", secret["metadata"]["name"])) is not None:
            if not upsert:
                raise CliError(f"repository {repo['repo']} already exists: pass --upsert to replace it")
            self.call("DELETE", self._core("secrets", secret["metadata"]["name"]))
        self.call("POST", self._core("secrets"), body=secret)
        return {k: v for k, v in repo.items() if k not in ("password", "sshPrivateKey", "tlsClientCertKey")}

    def delete_repo(self, url: str) -> None:
        from argosy.settings.repositories import same_url

        for secret in self.secrets("repository"):
            try:
                if same_url(repository_from_secret(secret).url, url):
                    self.call("DELETE", self._core("secrets", secret["metadata"]["name"]))
                    return
            except RepositorySecretError:
                continue
        raise CliError(f"repository '{url}' not found: see 'argosy repo list'")

    # ---------------------------------------------------------------- accounts
    def _accounts(self) -> dict[str, Any]:
        from argosy.server.auth.accounts import parse_accounts

        secret = self._get_or_none(self._core("secrets", "argocd-secret")) or {}
        data = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
        return parse_accounts(self.configmap_data("argocd-cm"), data)

    def list_accounts(self) -> list[Obj]:
        return [a.to_api() for _, a in sorted(self._accounts().items())]

    def get_account(self, name: str) -> Obj:
        account = self._accounts().get(name)
        if account is None:
            raise CliError(
                f"account '{name}' does not exist: declare it in argocd-cm as 'accounts.{name}: login'"
            )
        return dict(account.to_api())

    def update_password(self, name: str, current: str, new: str) -> None:
        from argosy.cli.commands.core_ops import password_update

        account = self._accounts().get(name)
        if account is None:
            raise CliError(
                f"account '{name}' does not exist: declare it in argocd-cm as 'accounts.{name}: login'"
            )
        data = password_update(name, account, current, new, self.configmap_data("argocd-cm"))
        patch = {"stringData": data}
        self.call(
            "PATCH",
            self._core("secrets", "argocd-secret"),
            body=patch,
            content_type="application/merge-patch+json",
        )

    def create_account_token(self, name: str, expires_in: int, token_id: str) -> str:
        raise CliError(
            "API tokens are signed by the API server: log in to a server (not --core) to generate one"
        )

    def user_info(self) -> Obj:
        return {
            "loggedIn": True,
            "username": "kubernetes (--core: your kubeconfig credentials)",
            "groups": [],
        }

    def server_version(self) -> Obj:
        check = self.client.check()
        return {"Version": "(core mode: no server)", "KubeVersion": check.server_version}
