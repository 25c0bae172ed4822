"""How a command reaches Argosy: global flags, the client config, and the HTTP API client.

Every client command group takes the global flags of ``argocd``
(``--server``, ``--auth-token``, ``--core``, ``--insecure``, ``--plaintext``,
``--grpc-web``, ``--config``, ``--argocd-context``); without them the current
context of the config file (written by ``argosy login``) decides. Environment
variables ``ARGOSY_SERVER`` and ``ARGOSY_AUTH_TOKEN`` stand in for the flags,
as ``ARGOCD_SERVER``/``ARGOCD_AUTH_TOKEN`` do, for CI jobs that never log in.

:class:`ApiBackend` speaks the server's REST API (Argo CD's paths) and turns
its grpc-gateway error bodies into messages; the token travels as a bearer
header and is never printed.
"""

from __future__ import annotations

import atexit
import contextlib
import http.client
import json
import secrets
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit

import typer

if TYPE_CHECKING:
    from rich.console import Console

from argosy.cli.commands.backend import (
    EXIT_CONNECTION_FAILURE,
    EXIT_GENERIC,
    Backend,
    CliError,
    Connection,
    Obj,
)
from argosy.cli.commands.config import ClientConfig, ServerEntry, config_path
from argosy.model.constants import DEFAULT_NAMESPACE


class _ErrConsole:
    """Rich's console for stderr, created on first use (most commands never print an error)."""

    def __init__(self) -> None:
        self._console: Console | None = None

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=True, highlight=False, soft_wrap=True)
        self._console.print(*objects, **kwargs)


err_console = _ErrConsole()


def connection_of(ctx: typer.Context) -> Connection:
    obj = ctx.find_object(Connection)
    return obj if obj is not None else Connection()


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Show a :class:`CliError` as ``error: ...`` on stderr and exit with its code."""
    try:
        yield
    except CliError as exc:
        err_console.print(f"[red]error:[/red] {exc.message}", markup=True, highlight=False)
        raise typer.Exit(exc.exit_code) from None


def base_url(server: str, plaintext: bool) -> str:
    """``host:port`` as ``argocd login`` takes it, or a full URL."""
    server = server.strip().rstrip("/")
    if "://" in server:
        return server
    return f"{'http' if plaintext else 'https'}://{server}"


def open_backend(ctx: typer.Context) -> Backend:
    """The backend the flags and the config file point at; explains how to log in when neither does."""
    conn = connection_of(ctx)
    try:
        config = ClientConfig.load(config_path(conn.config or None))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    resolved = config.resolve(conn.context)
    if conn.context and resolved is None:
        raise CliError(f"context '{conn.context}' is not in {config.path}: see 'argosy context'")
    entry, token = resolved if resolved is not None else (None, "")
    if conn.core or (entry is not None and entry.core and not conn.server):
        core_entry = entry if entry is not None and entry.core else ServerEntry("kubernetes", core=True)
        return core_backend(
            kubeconfig=conn.kubeconfig or core_entry.kubeconfig,
            context=conn.kube_context or core_entry.kube_context,
            namespace=conn.namespace or core_entry.namespace,
        )
    server = conn.server or (entry.server if entry is not None else "")
    if not server:
        raise CliError(
            "no Argosy server configured: run 'argosy login SERVER' (or 'argosy login --core'), "
            "or pass --server and --auth-token"
        )
    if conn.server and entry is not None and entry.server != conn.server:
        entry, token = config.servers.get(conn.server) or ServerEntry(conn.server), ""
        token = next((config.users.get(u, "") for s, u in config.contexts.values() if s == conn.server), "")
    insecure = conn.insecure or (entry.insecure if entry is not None else False)
    plaintext = conn.plaintext or (entry.plain_text if entry is not None else False)
    if not conn.auth_token and resolved is not None and entry is resolved[0]:
        token = _refreshed_sso_token(
            config, conn.context or config.current_context, server, plaintext, insecure
        )
    return ApiBackend(base_url(server, plaintext), conn.auth_token or token, insecure=insecure)


def _refreshed_sso_token(
    config: ClientConfig, context: str, server: str, plaintext: bool, insecure: bool
) -> str:
    """The context's token, first renewed with its SSO refresh token when it is about to expire."""
    from argosy.cli import sso

    user = config.contexts[context][1]
    token, refresh_token = config.users.get(user, ""), config.refresh_tokens.get(user, "")
    if not sso.needs_refresh(token, refresh_token, threshold=3600):
        return token  # cheap check first (no request); thresholds over 1 h count as 1 h
    api = ApiClient(base_url(server, plaintext), insecure=insecure)
    try:
        settings = dict(api.call("GET", "/api/v1/settings"))
    finally:
        api.close()
    if not sso.needs_refresh(token, refresh_token, threshold=sso.threshold_of(settings)):
        return token
    tokens = sso.refresh(settings, server, refresh_token, insecure=insecure)
    config.users[user] = tokens.id_token
    config.refresh_tokens[user] = tokens.refresh_token
    config.save()
    return tokens.id_token


def kube_namespace(kubeconfig: str, context: str) -> str:
    """The namespace of the kubeconfig context (``argocd`` when it names none)."""
    from kubernetes import config

    k8s_config: Any = config
    try:
        contexts, current = k8s_config.list_kube_config_contexts(config_file=kubeconfig or None)
    except Exception:
        return DEFAULT_NAMESPACE
    chosen = next((c for c in contexts if c.get("name") == context), None) if context else current
    return str(((chosen or {}).get("context") or {}).get("namespace") or DEFAULT_NAMESPACE)


def core_backend(*, kubeconfig: str = "", context: str = "", namespace: str = "") -> ApiBackend:
    """``--core``: Argosy's real API server, started in this process, as ``argocd --core`` does.

    It listens on a loopback port for this process only (a random token, known to nobody
    else, is the only credential it accepts), reaches the cluster with the kubeconfig
    (so Kubernetes RBAC decides what the user may do; Argosy's accounts and RBAC are off)
    and writes nothing at start. Every command therefore runs the server's rules — the
    same checks, the same answers — with or without a server deployed.
    """
    from argosy.kube.errors import KubeError
    from argosy.server.config import ServerConfig
    from argosy.server.run import BackgroundServer

    path = Path(kubeconfig).expanduser() if kubeconfig else None
    token = secrets.token_urlsafe(32)
    config = ServerConfig(
        namespace=namespace or kube_namespace(kubeconfig, context),
        kubeconfig=path,
        context=context or None,
        core=True,
        core_token=token,
        login_delay=(0.0, 0.0),
    )
    try:
        server = BackgroundServer(config).start()
    except KubeError as exc:
        raise CliError(
            f"--core needs a working kubeconfig: {exc} (set KUBECONFIG or --kube-context)",
            EXIT_CONNECTION_FAILURE,
        ) from None
    return ApiBackend(server.url, token, on_close=server.stop)


def log_in_again(ctx: typer.Context, username: str, password: str) -> bool:
    """Replace the current context's session after its user's password changed.

    The server ends every session issued before a password change, so without this
    the next command would fail. True when a stored login session was renewed;
    nothing is done for ``--auth-token``/``--core`` (no stored session).
    """
    conn = connection_of(ctx)
    if conn.auth_token or conn.core:
        return False
    config = ClientConfig.load(config_path(conn.config or None))
    name = conn.context or config.current_context
    resolved = config.resolve(name)
    if resolved is None or resolved[0].core or not resolved[1]:
        return False
    entry, _ = resolved
    api = ApiBackend(base_url(entry.server, entry.plain_text), "", insecure=entry.insecure)
    try:
        token = api.login(username, password)
    finally:
        api.close()
    config.upsert(name, entry, token)
    config.save()
    return True


def _message(status: int, reason: str, body: bytes) -> str:
    try:
        payload = json.loads(body)
    except ValueError:
        return body.decode(errors="replace").strip() or reason or f"HTTP {status}"
    if isinstance(payload, dict):
        return str(payload.get("message") or payload.get("error") or payload)
    return str(payload)


class ApiClient:
    """JSON requests to the API server: bearer token, TLS choice, errors as :class:`CliError`.

    Written on the standard library's ``http.client`` rather than httpx: every command
    pays its client's import, and httpx (with its own CLI, Rich, h11 and anyio) costs
    more start-up than the whole request; the connection is kept for the commands that
    poll (``app sync``, ``app wait``).
    """

    def __init__(self, url: str, token: str = "", *, insecure: bool = False, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        parts = urlsplit(self.url)
        self._https = parts.scheme == "https"
        self._host = parts.netloc
        self._prefix = parts.path
        self._timeout = timeout
        self._insecure = insecure
        self._headers = {"Accept": "application/json"}
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            if self._https:
                context = ssl.create_default_context()
                if self._insecure:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                self._conn = http.client.HTTPSConnection(self._host, timeout=self._timeout, context=context)
            else:
                self._conn = http.client.HTTPConnection(self._host, timeout=self._timeout)
        return self._conn

    def _send(self, method: str, target: str, payload: bytes | None) -> tuple[int, str, bytes]:
        headers = dict(self._headers)
        if payload is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: reconnect once
            conn = self._connection()
            try:
                conn.request(method, target, body=payload, headers=headers)
                resp = conn.getresponse()
                return resp.status, resp.reason, resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _target(self, path: str, params: Any) -> str:
        query = urlencode(list(params.items()) if isinstance(params, dict) else params or [], doseq=True)
        return self._prefix + path + (f"?{query}" if query else "")

    def call(self, method: str, path: str, *, params: Any = None, body: Any = None) -> Any:
        target = self._target(path, params)
        payload = json.dumps(body).encode() if body is not None else None
        with self._reaching():
            status, reason, content = self._send(method, target, payload)
        self._check(status, reason, content)
        if not content:
            return {}
        try:
            return json.loads(content)
        except ValueError:
            raise CliError(
                f"{self.url}{path} answered something that is not JSON: is it an Argosy server?"
            ) from None

    def stream(self, path: str, *, params: Any = None) -> Iterator[Obj]:
        """A GET answered with newline-delimited JSON (``/logs``), one object per line as it
        arrives, on a connection of its own without a read timeout (a followed log may stay
        quiet); closing the iterator closes the connection."""
        with self._reaching():
            conn = self._connection()
            self._conn = None  # the stream owns this connection now
            conn.timeout = None
            if conn.sock is not None:
                conn.sock.settimeout(None)
            conn.request("GET", self._target(path, params), headers=dict(self._headers))
            resp = conn.getresponse()
        try:
            if resp.status >= 400:
                self._check(resp.status, resp.reason, resp.read())
            with self._reaching():
                for line in resp:
                    if line.strip():
                        yield json.loads(line)
        finally:
            conn.close()

    @contextlib.contextmanager
    def _reaching(self) -> Iterator[None]:
        """Network failures as a :class:`CliError` that says what to try."""
        try:
            yield
        except ssl.SSLError as exc:
            self.close()
            hint = (
                " (self-signed certificate? pass --insecure)"
                if "CERTIFICATE_VERIFY_FAILED" in str(exc)
                else " (does the server speak plain HTTP? pass --plaintext)"
            )
            raise CliError(
                f"cannot reach the Argosy server at {self.url}: {exc}{hint}", EXIT_CONNECTION_FAILURE
            ) from None
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise CliError(
                f"cannot reach the Argosy server at {self.url}: {exc}", EXIT_CONNECTION_FAILURE
            ) from None

    def _check(self, status: int, reason: str, content: bytes) -> None:
        if status == 401:
            raise CliError(
                f"{_message(status, reason, content)}: log in again with 'argosy login' "
                "(or pass a valid --auth-token)",
                EXIT_GENERIC,
                status=401,
            )
        if status >= 400:
            raise CliError(_message(status, reason, content), EXIT_GENERIC, status=status)


def _q(value: str) -> str:
    return quote(value, safe="")


def _parse_states(item: Obj) -> Obj:
    """Argo CD sends live/target states as JSON text; commands want objects."""
    out = dict(item)
    for key in ("liveState", "targetState", "normalizedLiveState", "predictedLiveState"):
        value = out.get(key)
        if isinstance(value, str):
            out[key] = json.loads(value) if value and value != "null" else None
    return out


class ApiBackend:
    """:class:`Backend` over the Argosy API server."""

    def __init__(
        self, url: str, token: str, *, insecure: bool = False, on_close: Callable[[], None] | None = None
    ) -> None:
        self.api = ApiClient(url, token, insecure=insecure)
        self._on_close = on_close
        if on_close is not None:
            atexit.register(self.close)

    def close(self) -> None:
        self.api.close()
        if self._on_close is not None:
            on_close, self._on_close = self._on_close, None
            on_close()

    # ------------------------------------------------------------ applications
    def list_apps(self, projects: list[str], selector: str) -> list[Obj]:
        params: list[tuple[str, str]] = [("projects", p) for p in projects]
        if selector:
            params.append(("selector", selector))
        return list(self.api.call("GET", "/api/v1/applications", params=params).get("items") or [])

    def get_app(self, name: str, refresh: str = "") -> Obj:
        params = {"refresh": refresh} if refresh else None
        return dict(self.api.call("GET", f"/api/v1/applications/{_q(name)}", params=params))

    def create_app(self, app: Obj, upsert: bool) -> Obj:
        params = {"upsert": "true"} if upsert else None
        return dict(self.api.call("POST", "/api/v1/applications", params=params, body=app))

    def update_app_spec(self, name: str, spec: Obj) -> Obj:
        return dict(self.api.call("PUT", f"/api/v1/applications/{_q(name)}/spec", body=spec))

    def delete_app(self, name: str, cascade: bool, propagation: str) -> None:
        params: dict[str, str] = {"cascade": "true" if cascade else "false"}
        if propagation and cascade:
            params["propagationPolicy"] = propagation
        self.api.call("DELETE", f"/api/v1/applications/{_q(name)}", params=params)

    def deletion_preview(self, name: str) -> list[Obj]:
        path = f"/api/v1/applications/{_q(name)}/deletion-preview"
        return list(self.api.call("GET", path).get("items") or [])

    def sync_app(self, name: str, request: Obj) -> Obj:
        return dict(self.api.call("POST", f"/api/v1/applications/{_q(name)}/sync", body=request))

    def rollback_app(self, name: str, history_id: int, prune: bool, dry_run: bool) -> Obj:
        body = {"id": history_id, "prune": prune, "dryRun": dry_run}
        return dict(self.api.call("POST", f"/api/v1/applications/{_q(name)}/rollback", body=body))

    def terminate_operation(self, name: str) -> None:
        self.api.call("DELETE", f"/api/v1/applications/{_q(name)}/operation")

    def manifests(self, name: str, revision: str) -> list[Obj]:
        params = {"revision": revision} if revision else None
        resp = self.api.call("GET", f"/api/v1/applications/{_q(name)}/manifests", params=params)
        return [json.loads(m) if isinstance(m, str) else m for m in resp.get("manifests") or []]

    def pod_logs(self, name: str, params: dict[str, str]) -> Iterator[Obj]:
        return self.api.stream(f"/api/v1/applications/{_q(name)}/logs", params=params)

    def managed_resources(self, name: str) -> list[Obj]:
        resp = self.api.call("GET", f"/api/v1/applications/{_q(name)}/managed-resources")
        return [_parse_states(i) for i in resp.get("items") or []]

    def resource_actions(self, name: str, resource: Obj) -> list[Obj]:
        """The actions one object of the app offers; ``resource`` holds Argo CD's query parameters."""
        resp = self.api.call("GET", f"/api/v1/applications/{_q(name)}/resource/actions", params=resource)
        return list(resp.get("actions") or [])

    def run_resource_action(self, name: str, resource: Obj, action: str) -> Obj:
        body = {**resource, "name": name, "action": action}
        return dict(self.api.call("POST", f"/api/v1/applications/{_q(name)}/resource/actions/v2", body=body))

    # ----------------------------------------------------------- applicationsets
    def list_appsets(self, projects: list[str], selector: str) -> list[Obj]:
        params: list[tuple[str, str]] = [("projects", p) for p in projects]
        if selector:
            params.append(("selector", selector))
        return list(self.api.call("GET", "/api/v1/applicationsets", params=params).get("items") or [])

    def get_appset(self, name: str) -> Obj:
        return dict(self.api.call("GET", f"/api/v1/applicationsets/{_q(name)}"))

    def create_appset(self, appset: Obj, upsert: bool, dry_run: bool) -> Obj:
        params = {"upsert": "true" if upsert else "false", "dryRun": "true" if dry_run else "false"}
        return dict(self.api.call("POST", "/api/v1/applicationsets", params=params, body=appset))

    def delete_appset(self, name: str) -> None:
        self.api.call("DELETE", f"/api/v1/applicationsets/{_q(name)}")

    def confirm_appset_deletion(self, name: str) -> Obj:
        return dict(self.api.call("POST", f"/api/v1/applicationsets/{_q(name)}/confirm-deletion"))

    def generate_appset(self, appset: Obj) -> Obj:
        return dict(
            self.api.call("POST", "/api/v1/applicationsets/generate", body={"applicationSet": appset})
        )

    # ---------------------------------------------------------------- projects
    def list_projects(self) -> list[Obj]:
        return list(self.api.call("GET", "/api/v1/projects").get("items") or [])

    def get_project(self, name: str) -> Obj:
        return dict(self.api.call("GET", f"/api/v1/projects/{_q(name)}"))

    def create_project(self, project: Obj, upsert: bool) -> Obj:
        return dict(self.api.call("POST", "/api/v1/projects", body={"project": project, "upsert": upsert}))

    def update_project(self, project: Obj) -> Obj:
        name = project["metadata"]["name"]
        return dict(self.api.call("PUT", f"/api/v1/projects/{_q(name)}", body={"project": project}))

    def delete_project(self, name: str) -> None:
        self.api.call("DELETE", f"/api/v1/projects/{_q(name)}")

    def create_project_token(self, project: str, role: str, expires_in: int, token_id: str) -> str:
        body = {"expiresIn": expires_in, "id": token_id}
        path = f"/api/v1/projects/{_q(project)}/roles/{_q(role)}/token"
        return str(self.api.call("POST", path, body=body).get("token") or "")

    # ---------------------------------------------------------------- clusters
    def list_clusters(self) -> list[Obj]:
        return list(self.api.call("GET", "/api/v1/clusters").get("items") or [])

    def create_cluster(self, cluster: Obj, upsert: bool) -> Obj:
        params = {"upsert": "true"} if upsert else None
        return dict(self.api.call("POST", "/api/v1/clusters", params=params, body=cluster))

    def _cluster_path(self, server_or_name: str) -> tuple[str, dict[str, str]]:
        if "://" in server_or_name:
            return f"/api/v1/clusters/{_q(server_or_name)}", {}
        return f"/api/v1/clusters/{_q(server_or_name)}", {"id.type": "name", "id_type": "name"}

    def delete_cluster(self, server_or_name: str) -> None:
        path, params = self._cluster_path(server_or_name)
        self.api.call("DELETE", path, params=params)

    def update_cluster(self, server_or_name: str, name: str, labels: dict[str, str]) -> Obj:
        """Argo CD's ``PUT /api/v1/clusters/{id}``: the cluster as body, the changed fields as a query."""
        path, params = self._cluster_path(server_or_name)
        current = dict(self.api.call("GET", path, params=params))
        fields = ["name"] if name else []
        if labels:
            fields.append("labels")
            current["labels"] = {**(current.get("labels") or {}), **labels}
        if name:
            current["name"] = name
        query: list[tuple[str, str]] = [*params.items(), *(("updatedFields", f) for f in fields)]
        return dict(self.api.call("PUT", path, params=query, body=current))

    # ------------------------------------------------------------ repositories
    def list_repos(self) -> list[Obj]:
        return list(self.api.call("GET", "/api/v1/repositories").get("items") or [])

    def create_repo(self, repo: Obj, upsert: bool) -> Obj:
        params = {"upsert": "true"} if upsert else None
        return dict(self.api.call("POST", "/api/v1/repositories", params=params, body=repo))

    def delete_repo(self, url: str) -> None:
        self.api.call("DELETE", f"/api/v1/repositories/{_q(url)}")

    # ---------------------------------------------------------------- accounts
    def list_accounts(self) -> list[Obj]:
        return list(self.api.call("GET", "/api/v1/account").get("items") or [])

    def get_account(self, name: str) -> Obj:
        return dict(self.api.call("GET", f"/api/v1/account/{_q(name)}"))

    def update_password(self, name: str, current: str, new: str) -> None:
        body = {"name": name, "currentPassword": current, "newPassword": new}
        self.api.call("PUT", "/api/v1/account/password", body=body)

    def can_i(self, action: str, resource: str, subresource: str) -> str:
        path = f"/api/v1/account/can-i/{_q(resource)}/{_q(action)}/{_q(subresource)}"
        return str(self.api.call("GET", path).get("value") or "no")

    def create_account_token(self, name: str, expires_in: int, token_id: str) -> str:
        body = {"name": name, "expiresIn": expires_in, "id": token_id}
        return str(self.api.call("POST", f"/api/v1/account/{_q(name)}/token", body=body).get("token") or "")

    def user_info(self) -> Obj:
        return dict(self.api.call("GET", "/api/v1/session/userinfo"))

    # -------------------------------------------------------------------- misc
    def server_version(self) -> Obj:
        return dict(self.api.call("GET", "/api/version"))

    # ------------------------------------------------------------ sessions
    def login(self, username: str, password: str) -> str:
        body = {"username": username, "password": password}
        return str(self.api.call("POST", "/api/v1/session", body=body).get("token") or "")

    def logout(self) -> None:
        self.api.call("DELETE", "/api/v1/session")
