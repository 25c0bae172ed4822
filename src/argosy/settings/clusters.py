"""Destination clusters, read from Argo CD cluster Secrets exactly as Argo CD stores them.

A Secret labelled ``argocd.argoproj.io/secret-type: cluster`` registers one
cluster. Its keys (under ``data``, base64, or ``stringData``, plain):

* ``server`` (required): the API server URL; ``name``: the name users and
  ``destination.name`` refer to (defaults to the server URL);
* ``config``: JSON with ``bearerToken``, ``username``/``password``,
  ``tlsClientConfig`` {``caData``, ``certData``, ``keyData`` (base64 PEM),
  ``insecure``, ``serverName``}, ``execProviderConfig`` {``command``, ``args``,
  ``env``, ``apiVersion``, ``installHint``} and ``proxyUrl``;
* ``namespaces`` (comma separated): Argosy only manages these namespaces there,
  and ``clusterResources`` (``true``) allows cluster-scoped objects anyway;
* ``project``: the cluster belongs to that AppProject only.

The Secret's labels and annotations are kept (ApplicationSet's cluster
generator selects on them).

The **in-cluster** destination ``https://kubernetes.default.svc`` (name
``in-cluster``) is the cluster Argosy runs in, reached with the Pod's service
account; outside a cluster (``argosy controller`` on a laptop, tests) it is the
current context of the kubeconfig (``$KUBECONFIG`` or ``~/.kube/config``). A
cluster Secret for that URL without credentials renames it or restricts it,
as in Argo CD; ``cluster.inClusterEnabled: "false"`` in argocd-cm removes it.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from argosy.settings.repositories import SECRET_TYPE_LABEL
from argosy.settings.secrets import SecretDataError, secret_text

IN_CLUSTER_SERVER = "https://kubernetes.default.svc"
IN_CLUSTER_NAME = "in-cluster"
CLUSTER_SECRET_TYPE = "cluster"
_SERVICE_ACCOUNT_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}


class ClusterSecretError(ValueError):
    """A cluster Secret Argo CD would reject; the message names the Secret and the key."""


@dataclass(frozen=True)
class TLSClientConfig:
    """TLS settings; ``*_data`` hold PEM bytes (decoded from the Secret's base64)."""

    ca_data: bytes = b""
    cert_data: bytes = b""
    key_data: bytes = field(default=b"", repr=False)
    insecure: bool = False
    server_name: str = ""


@dataclass(frozen=True)
class ExecProviderConfig:
    """A client-go credential plugin (``aws eks get-token``, ``gke-gcloud-auth-plugin``...)."""

    command: str
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    api_version: str = "client.authentication.k8s.io/v1beta1"
    install_hint: str = ""


@dataclass(frozen=True)
class ClusterConfig:
    """How to reach one destination cluster and what Argosy may do there."""

    server: str
    name: str = ""
    bearer_token: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    tls: TLSClientConfig = TLSClientConfig()
    exec_provider: ExecProviderConfig | None = None
    proxy_url: str = ""
    namespaces: tuple[str, ...] = ()
    cluster_resources: bool = False
    project: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    secret_name: str = ""
    """The Secret this came from ('' for the implicit in-cluster destination)."""
    in_cluster: bool = False
    """Use the Pod's service account (set only when running inside a cluster)."""
    kubeconfig: Path | None = None
    """Use this kubeconfig's ``context`` (the in-cluster destination outside a cluster)."""
    context: str = ""

    @property
    def display_name(self) -> str:
        return self.name or self.server

    def describe(self) -> str:
        """How messages name the cluster: ``'name' (server)``."""
        return f"{self.display_name!r} ({self.server})" if self.name else repr(self.server)

    def has_credentials(self) -> bool:
        return bool(
            self.bearer_token
            or self.username
            or self.tls.cert_data
            or self.exec_provider
            or self.in_cluster
            or self.kubeconfig
        )

    def secrets(self) -> list[str]:
        """Values that must never appear in messages or logs."""
        return [
            s for s in (self.bearer_token, self.password, self.tls.key_data.decode(errors="replace")) if s
        ]


def _secret_data(secret: Mapping[str, Any], name: str) -> dict[str, str]:
    try:
        return secret_text(secret, what=f"cluster Secret {name!r}")
    except SecretDataError as exc:
        raise ClusterSecretError(str(exc)) from exc


def _pem(value: Any, name: str, key: str) -> bytes:
    if value in (None, ""):
        return b""
    if not isinstance(value, str):
        raise ClusterSecretError(f"cluster Secret {name!r} config.tlsClientConfig.{key}: expected a string")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise ClusterSecretError(
            f"cluster Secret {name!r} config.tlsClientConfig.{key}: not base64; "
            "encode the PEM file with base64"
        ) from exc


def _exec_provider(raw: Any, name: str) -> ExecProviderConfig | None:
    if raw in (None, {}):
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("command"), str) or not raw["command"]:
        raise ClusterSecretError(f"cluster Secret {name!r} config.execProviderConfig: 'command' is required")
    env = raw.get("env") or {}
    if not isinstance(env, dict):
        raise ClusterSecretError(f"cluster Secret {name!r} config.execProviderConfig.env: expected a map")
    return ExecProviderConfig(
        command=raw["command"],
        args=tuple(str(a) for a in raw.get("args") or ()),
        env=tuple((str(k), str(v)) for k, v in env.items()),
        api_version=str(raw.get("apiVersion") or "client.authentication.k8s.io/v1beta1"),
        install_hint=str(raw.get("installHint") or ""),
    )


def _config(text: str, name: str) -> dict[str, Any]:
    if not text.strip():
        return {}
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise ClusterSecretError(f"cluster Secret {name!r} key 'config': not valid JSON ({exc})") from exc
    if not isinstance(config, dict):
        raise ClusterSecretError(f"cluster Secret {name!r} key 'config': expected a JSON object")
    return config


def is_cluster_secret(secret: Mapping[str, Any]) -> bool:
    labels = (secret.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(SECRET_TYPE_LABEL) == CLUSTER_SECRET_TYPE)


def cluster_from_secret(secret: Mapping[str, Any]) -> ClusterConfig:
    """Parse one cluster Secret (a dict as the API returns it)."""
    meta = secret.get("metadata") or {}
    name = str(meta.get("name") or "<unnamed>")
    data = _secret_data(secret, name)
    server = normalize_server(data.get("server", ""))
    if not server:
        raise ClusterSecretError(f"cluster Secret {name!r}: key 'server' is required (the API server URL)")
    config = _config(data.get("config", ""), name)
    tls_raw = config.get("tlsClientConfig") or {}
    if not isinstance(tls_raw, dict):
        raise ClusterSecretError(f"cluster Secret {name!r} config.tlsClientConfig: expected an object")
    tls = TLSClientConfig(
        ca_data=_pem(tls_raw.get("caData"), name, "caData"),
        cert_data=_pem(tls_raw.get("certData"), name, "certData"),
        key_data=_pem(tls_raw.get("keyData"), name, "keyData"),
        insecure=bool(tls_raw.get("insecure", False)),
        server_name=str(tls_raw.get("serverName") or ""),
    )
    if bool(tls.cert_data) != bool(tls.key_data):
        raise ClusterSecretError(
            f"cluster Secret {name!r} config.tlsClientConfig: certData and keyData go together; "
            "set both or neither"
        )
    namespaces = tuple(n.strip() for n in data.get("namespaces", "").split(",") if n.strip())
    return ClusterConfig(
        server=server,
        name=data.get("name", "").strip(),
        bearer_token=str(config.get("bearerToken") or ""),
        username=str(config.get("username") or ""),
        password=str(config.get("password") or ""),
        tls=tls,
        exec_provider=_exec_provider(config.get("execProviderConfig"), name),
        proxy_url=str(config.get("proxyUrl") or ""),
        namespaces=namespaces,
        cluster_resources=data.get("clusterResources", "") in _TRUE,
        project=data.get("project", ""),
        labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        secret_name=name,
    )


def normalize_server(url: str) -> str:
    """The form of a cluster URL that names it: no surrounding blanks, no trailing ``/``.

    The controller finds a destination's cluster by this form, so the project check must
    judge the same form: ``https://prod:6443/`` is the cluster ``https://prod:6443``, and a
    project that refuses one refuses the other.
    """
    return url.strip().rstrip("/")


def running_in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST")) and _SERVICE_ACCOUNT_TOKEN.exists()


def default_kubeconfig() -> Path:
    first = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(first) if first else Path.home() / ".kube" / "config"


def in_cluster_config(kubeconfig: Path | None = None, context: str = "") -> ClusterConfig:
    """The implicit ``in-cluster`` destination: the Pod's service account inside a
    cluster, else ``kubeconfig`` (default ``$KUBECONFIG``/``~/.kube/config``)."""
    if kubeconfig is None and running_in_cluster():
        return ClusterConfig(server=IN_CLUSTER_SERVER, name=IN_CLUSTER_NAME, in_cluster=True)
    return ClusterConfig(
        server=IN_CLUSTER_SERVER,
        name=IN_CLUSTER_NAME,
        kubeconfig=kubeconfig or default_kubeconfig(),
        context=context,
    )


@dataclass(frozen=True)
class ClusterList:
    """Every destination cluster, plus the Secrets that could not be read."""

    clusters: tuple[ClusterConfig, ...]
    errors: tuple[str, ...] = ()

    def by_server(self, server: str) -> ClusterConfig | None:
        server = normalize_server(server)
        return next((c for c in self.clusters if c.server == server), None)

    def by_name(self, name: str) -> ClusterConfig | None:
        return next((c for c in self.clusters if c.display_name == name), None)

    def resolve(self, server: str = "", name: str = "") -> ClusterConfig:
        """The cluster an Application's destination names (by server or by name).

        Raises LookupError with a message fit for an InvalidSpecError condition.
        """
        if server and name:
            raise LookupError("destination sets both server and name; set only one")
        found = self.by_server(server) if server else self.by_name(name) if name else None
        if found is None:
            what = f"server {server!r}" if server else f"name {name!r}"
            known = ", ".join(sorted(c.display_name for c in self.clusters)) or "none"
            raise LookupError(
                f"no cluster with {what} is registered (known: {known}); "
                "add it with 'argosy cluster add' or a cluster Secret"
            )
        return found


def in_cluster_enabled(argocd_cm: Mapping[str, str]) -> bool:
    """``cluster.inClusterEnabled`` of argocd-cm (default true), as Argo CD reads it."""
    return str(argocd_cm.get("cluster.inClusterEnabled", "true")).strip().lower() != "false"


def cluster_list(
    secrets: Iterable[Mapping[str, Any]],
    *,
    in_cluster: ClusterConfig | None = None,
    in_cluster_enabled: bool = True,
) -> ClusterList:
    """All clusters from ``secrets`` (non-cluster Secrets are skipped), with the
    in-cluster destination merged in as Argo CD does: a Secret for its URL that
    carries no credentials only renames/restricts it."""
    base = in_cluster or in_cluster_config()
    found: list[ClusterConfig] = []
    errors: list[str] = []
    seen: set[str] = set()
    for secret in secrets:
        if not is_cluster_secret(secret):
            continue
        try:
            cluster = cluster_from_secret(secret)
        except ClusterSecretError as exc:
            errors.append(str(exc))
            continue
        if cluster.server in seen:
            errors.append(
                f"cluster Secret {cluster.secret_name!r}: server {cluster.server} is already registered "
                "by another Secret; delete one of them"
            )
            continue
        seen.add(cluster.server)
        if cluster.server == IN_CLUSTER_SERVER and not cluster.has_credentials():
            cluster = replace(
                cluster,
                name=cluster.name or IN_CLUSTER_NAME,
                in_cluster=base.in_cluster,
                kubeconfig=base.kubeconfig,
                context=base.context,
            )
        found.append(cluster)
    if IN_CLUSTER_SERVER not in seen and in_cluster_enabled:
        found.insert(0, base)
    return ClusterList(tuple(found), tuple(errors))
