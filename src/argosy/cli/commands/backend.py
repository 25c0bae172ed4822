"""What every command needs from Argosy, whichever way it is reached.

Two implementations: :class:`argosy.cli.client.ApiBackend` (the API server over
HTTP with the login token, the normal case) and
:class:`argosy.cli.core.CoreBackend` (``--core``: the control-plane namespace
straight through the Kubernetes API, with the caller's kubeconfig, for users
who run Argosy without its server, as ``argocd login --core``). Both speak in
Argo CD's API shapes (Application, AppProject, cluster and repository
objects as ``/api/v1`` returns them) so commands never care which one they use.

Errors reach the user as :class:`CliError`: a message that says what to do and
an exit code as ``argocd`` uses them (20 for a failed request, 11 when the
server cannot be reached, 1 for command-specific outcomes such as a diff
found, a failed sync or a timeout).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

Obj = dict[str, Any]

EXIT_COMMAND_SPECIFIC = 1
EXIT_CONNECTION_FAILURE = 11
EXIT_API_RESPONSE = 12
EXIT_RESOURCE_MISSING = 13
EXIT_GENERIC = 20


class CliError(Exception):
    """A failure to show as ``error: <message>`` and exit with ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_GENERIC, *, status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.status = status


@dataclass
class Connection:
    """Global flags of a command group (``--server``, ``--auth-token``, ``--core``...)."""

    server: str = ""
    auth_token: str = ""
    core: bool = False
    insecure: bool = False
    plaintext: bool = False
    grpc_web: bool = False
    config: str = ""
    context: str = ""
    kubeconfig: str = ""
    kube_context: str = ""
    namespace: str = ""


class Backend(Protocol):
    """The operations of the ``app``, ``proj``, ``cluster``, ``repo`` and ``account`` commands."""

    # applications
    def list_apps(self, projects: list[str], selector: str) -> list[Obj]: ...
    def get_app(self, name: str, refresh: str = "") -> Obj: ...
    def create_app(self, app: Obj, upsert: bool) -> Obj: ...
    def update_app_spec(self, name: str, spec: Obj) -> Obj: ...
    def delete_app(self, name: str, cascade: bool, propagation: str) -> None: ...
    def sync_app(self, name: str, request: Obj) -> Obj: ...
    def rollback_app(self, name: str, history_id: int, prune: bool, dry_run: bool) -> Obj: ...
    def terminate_operation(self, name: str) -> None: ...
    def manifests(self, name: str, revision: str) -> list[Obj]: ...
    def managed_resources(self, name: str) -> list[Obj]: ...

    # projects
    def list_projects(self) -> list[Obj]: ...
    def get_project(self, name: str) -> Obj: ...
    def create_project(self, project: Obj, upsert: bool) -> Obj: ...
    def update_project(self, project: Obj) -> Obj: ...
    def delete_project(self, name: str) -> None: ...
    def create_project_token(self, project: str, role: str, expires_in: int, token_id: str) -> str: ...

    # clusters
    def list_clusters(self) -> list[Obj]: ...
    def create_cluster(self, cluster: Obj, upsert: bool) -> Obj: ...
    def delete_cluster(self, server_or_name: str) -> None: ...
    def update_cluster(self, server_or_name: str, name: str, labels: dict[str, str]) -> Obj: ...

    # repositories
    def list_repos(self) -> list[Obj]: ...
    def create_repo(self, repo: Obj, upsert: bool) -> Obj: ...
    def delete_repo(self, url: str) -> None: ...

    # accounts
    def list_accounts(self) -> list[Obj]: ...
    def get_account(self, name: str) -> Obj: ...
    def update_password(self, name: str, current: str, new: str) -> None: ...
    def create_account_token(self, name: str, expires_in: int, token_id: str) -> str: ...
    def user_info(self) -> Obj: ...

    # misc
    def server_version(self) -> Obj: ...
    def close(self) -> None: ...
