"""``argosy cluster``: register destination clusters, as ``argocd cluster``.

``cluster add CONTEXT`` does what Argo CD does, so a cluster added by either
tool looks the same: with the kubeconfig context's own credentials it creates
ServiceAccount ``argocd-manager`` in ``kube-system``, ClusterRole
``argocd-manager-role`` (everything), ClusterRoleBinding
``argocd-manager-role-binding`` and a service-account token Secret, waits for
Kubernetes to fill in the token, then stores a cluster Secret (server, name,
bearer token, CA) in the control-plane namespace. It asks first, because it
grants cluster-admin (``--yes`` skips the question).

``cluster list`` shows each cluster's Kubernetes version and connection
status (from the server, or probed live with ``--core``).
"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import typer

from argosy.cli.client import cli_errors, open_backend
from argosy.cli.commands.backend import EXIT_COMMAND_SPECIFIC, CliError, Obj
from argosy.cli.output import check_format, dump, print_items, print_object
from argosy.kube.clients import KubeClient
from argosy.kube.errors import KubeError
from argosy.settings.clusters import default_kubeconfig

cluster_app = typer.Typer(help="Manage destination clusters.", no_args_is_help=True)

SERVICE_ACCOUNT = "argocd-manager"
CLUSTER_ROLE = "argocd-manager-role"
CLUSTER_ROLE_BINDING = "argocd-manager-role-binding"
TOKEN_SECRET = "argocd-manager-long-lived-token"
SYSTEM_NAMESPACE = "kube-system"
RFC1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
OUTPUT = typer.Option("", "-o", "--output", help="Output format: wide|json|yaml|name.")


def check_rfc1123(name: str) -> None:
    """Cluster names end up in Secrets, labels and URLs: Argo CD users rename to RFC 1123 names."""
    if len(name) > 253 or not RFC1123.match(name):
        raise CliError(
            f"cluster name {name!r} is not a valid RFC 1123 name: use lower-case letters, digits, "
            "'-' and '.', starting and ending with a letter or digit (e.g. 'prod-eu-1')"
        )


def short_version(version: str) -> str:
    """``v1.30.2+k3s1`` -> ``1.30``, as ``argocd cluster list`` shows it."""
    match = re.match(r"v?(\d+)\.(\d+)", version or "")
    return f"{match.group(1)}.{match.group(2)}" if match else version


def cluster_row(c: Obj) -> list[str]:
    info = c.get("info") or {}
    state = c.get("connectionState") or info.get("connectionState") or {}
    version = c.get("serverVersion") or info.get("serverVersion") or ""
    return [
        str(c.get("server") or ""),
        str(c.get("name") or ""),
        short_version(str(version)),
        str(state.get("status") or "Unknown"),
        str(state.get("message") or ""),
        str(c.get("project") or ""),
    ]


def _ensure(client: KubeClient, path: str, body: Obj, kind: str) -> None:
    """Create ``body`` at ``path``; if it exists, replace it (keeps ``cluster add`` re-runnable)."""
    try:
        client.request("POST", path, body=body, kind=kind)
    except KubeError as exc:
        if getattr(exc, "status", 0) != 409:
            raise
        name = body["metadata"]["name"]
        if kind in ("ServiceAccount", "Secret"):
            return  # keep the token that already works
        current = client.request("GET", f"{path}/{name}", kind=kind) or {}
        body = {
            **body,
            "metadata": {**body["metadata"], "resourceVersion": current["metadata"]["resourceVersion"]},
        }
        client.request("PUT", f"{path}/{name}", body=body, kind=kind)


def install_manager(client: KubeClient, timeout: float = 60.0) -> str:
    """Create the argocd-manager ServiceAccount, role, binding and token Secret; return the token."""
    sa_path = f"/api/v1/namespaces/{SYSTEM_NAMESPACE}/serviceaccounts"
    meta = {"name": SERVICE_ACCOUNT, "namespace": SYSTEM_NAMESPACE}
    _ensure(
        client, sa_path, {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}, "ServiceAccount"
    )
    rules = [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"nonResourceURLs": ["*"], "verbs": ["*"]},
    ]
    _ensure(
        client,
        "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": CLUSTER_ROLE},
            "rules": rules,
        },
        "ClusterRole",
    )
    _ensure(
        client,
        "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": CLUSTER_ROLE_BINDING},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": CLUSTER_ROLE},
            "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": SYSTEM_NAMESPACE}],
        },
        "ClusterRoleBinding",
    )
    secrets = f"/api/v1/namespaces/{SYSTEM_NAMESPACE}/secrets"
    _ensure(
        client,
        secrets,
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "kubernetes.io/service-account-token",
            "metadata": {
                "name": TOKEN_SECRET,
                "namespace": SYSTEM_NAMESPACE,
                "annotations": {"kubernetes.io/service-account.name": SERVICE_ACCOUNT},
            },
        },
        "Secret",
    )
    deadline = time.monotonic() + timeout
    while True:
        secret = client.request("GET", f"{secrets}/{TOKEN_SECRET}", kind="Secret") or {}
        token = (secret.get("data") or {}).get("token")
        if token:
            return base64.b64decode(token).decode()
        if time.monotonic() > deadline:
            raise CliError(
                f"Kubernetes did not fill in the token of Secret {SYSTEM_NAMESPACE}/{TOKEN_SECRET} within "
                f"{timeout:.0f}s: is the token controller of kube-controller-manager running?"
            )
        time.sleep(0.2)


def _ca_data(client: KubeClient) -> str:
    cfg = client.api.configuration
    if cfg.ssl_ca_cert:
        return base64.b64encode(Path(cfg.ssl_ca_cert).read_bytes()).decode()
    return ""


@cluster_app.command("add")
def add_cmd(
    ctx: typer.Context,
    context: str = typer.Argument(..., help="Kubeconfig context of the cluster to add."),
    name: str = typer.Option("", "--name", help="Cluster name (default: the context name)."),
    label: list[str] = typer.Option([], "--label", help="Label key=value of the cluster Secret."),
    annotation: list[str] = typer.Option([], "--annotation", help="Annotation key=value."),
    kubeconfig: str = typer.Option("", "--kubeconfig", envvar="KUBECONFIG", help="Kubeconfig file."),
    namespace: list[str] = typer.Option([], "--namespace", help="Restrict to these namespaces."),
    cluster_resources: bool = typer.Option(
        False, "--cluster-resources", help="With --namespace: allow cluster-scoped kinds."
    ),
    project: str = typer.Option("", "--project", help="Project the cluster belongs to."),
    upsert: bool = typer.Option(False, "--upsert", help="Replace an existing cluster of that server."),
    yes: bool = typer.Option(False, "-y", "--yes", help="Skip the confirmation."),
) -> None:
    """Register a kubeconfig context as a destination cluster (installs argocd-manager in it)."""
    from argosy.cli.commands.appspec import labels_of

    with cli_errors():
        path = Path(kubeconfig.split(":")[0]).expanduser() if kubeconfig else default_kubeconfig()
        if not yes and not typer.confirm(
            f"WARNING: This will create a service account `{SERVICE_ACCOUNT}` on the cluster referenced by "
            f"context `{context}` with full cluster level privileges. Do you want to continue",
            default=False,
        ):
            raise CliError("cancelled: nothing was changed", EXIT_COMMAND_SPECIFIC)
        try:
            client = KubeClient.from_kubeconfig(path, context, name=context)
        except KubeError as exc:
            raise CliError(f"context '{context}' of {path}: {exc}") from None
        try:
            token = install_manager(client)
            ca = _ca_data(client)
            server = client.host.rstrip("/")
            insecure = not client.api.configuration.verify_ssl
        except KubeError as exc:
            raise CliError(f"cannot set up {SERVICE_ACCOUNT} in context '{context}': {exc}") from None
        finally:
            client.close()
        tls: Obj = {"insecure": insecure}
        if ca:
            tls["caData"] = ca
        body: Obj = {
            "server": server,
            "name": name or context,
            "config": {"bearerToken": token, "tlsClientConfig": tls},
            "labels": labels_of(label, "--label"),
            "annotations": labels_of(annotation, "--annotation"),
        }
        if namespace:
            body["namespaces"] = namespace
            body["clusterResources"] = cluster_resources
        if project:
            body["project"] = project
        open_backend(ctx).create_cluster(body, upsert)
        typer.echo(f"Cluster '{server}' added")


@cluster_app.command("list")
def list_cmd(ctx: typer.Context, output: str = OUTPUT) -> None:
    """List clusters with their version and connection status."""
    with cli_errors():
        check_format(output)
        clusters = open_backend(ctx).list_clusters()
        print_items(
            clusters,
            output,
            ["SERVER", "NAME", "VERSION", "STATUS", "MESSAGE", "PROJECT"],
            cluster_row,
            name=lambda c: str(c.get("server")),
        )


def _find(clusters: list[Obj], server_or_name: str) -> Obj:
    for c in clusters:
        if server_or_name in (c.get("server"), c.get("name")):
            return c
    raise CliError(f"cluster '{server_or_name}' not found: see 'argosy cluster list'")


@cluster_app.command("get")
def get_cmd(
    ctx: typer.Context,
    server: str = typer.Argument(..., help="Cluster server URL or name."),
    output: str = typer.Option("yaml", "-o", "--output", help="yaml|json|wide|server."),
) -> None:
    """Show a cluster (never its credentials)."""
    with cli_errors():
        cluster = _find(open_backend(ctx).list_clusters(), server)
        if output == "server":
            typer.echo(cluster.get("server"))
        elif output == "wide":
            typer.echo(dump(cluster_row(cluster), "yaml"))
        elif not print_object(cluster, check_format(output, ("json", "yaml"))):
            typer.echo(dump(cluster, "yaml"))


@cluster_app.command("rm")
def rm_cmd(
    ctx: typer.Context,
    servers: list[str] = typer.Argument(..., help="Cluster server URL(s) or name(s)."),
    yes: bool = typer.Option(False, "-y", "--yes", help="Skip the confirmation."),
) -> None:
    """Remove clusters (their apps turn Unknown; nothing in the cluster is deleted)."""
    with cli_errors():
        backend = open_backend(ctx)
        for server in servers:
            if not yes and not typer.confirm(
                f"Are you sure you want to remove '{server}'? Any Apps deploying to this cluster will go to "
                "health status Unknown."
            ):
                continue
            backend.delete_cluster(server)
            typer.echo(f"Cluster '{server}' removed")


@cluster_app.command("set")
def set_cmd(
    ctx: typer.Context,
    server: str = typer.Argument(..., help="Cluster name or server URL."),
    name: str = typer.Option("", "--name", help="New name (RFC 1123)."),
    label: list[str] = typer.Option([], "--label", help="Label key=value to set on the cluster Secret."),
) -> None:
    """Rename a cluster or set labels by patching its Secret (apps using the old name must follow)."""
    from argosy.cli.commands.appspec import labels_of

    with cli_errors():
        if not name and not label:
            raise CliError("nothing to change: pass --name NEW and/or --label key=value")
        if name:
            check_rfc1123(name)
        open_backend(ctx).update_cluster(server, name, labels_of(label, "--label"))
        typer.echo(f"Cluster '{server}' updated")
