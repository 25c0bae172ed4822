"""Repository Secrets and credential templates, read exactly as Argo CD reads them.

* ``argocd.argoproj.io/secret-type: repository`` Secrets describe one
  repository (``url``, ``username``, ``password``, ``sshPrivateKey``,
  ``tlsClientCertData``/``tlsClientCertKey``, ``insecure``,
  ``insecureIgnoreHostKey``, ``type: git|helm``, ``enableOCI``, ``project``,
  ``forceHttpBasicAuth``, ``insecureOCIForceHttp``, ``proxy``, ``noProxy``, ``name``).
* ``argocd.argoproj.io/secret-type: repo-creds`` Secrets are templates: a
  repository without credentials of its own borrows those of the template whose
  ``url`` is the longest prefix of the repository URL (after Argo CD's URL
  normalization: lower case, no ``.git`` suffix, ``git@host:path`` as
  ``git@host/path``).
* ``argocd-tls-certs-cm`` (host -> PEM CA bundle) and
  ``argocd-ssh-known-hosts-cm`` (``ssh_known_hosts``) hold trust anchors.

The repo server never reads the cluster: callers parse Secrets here and pass
the resulting :class:`RepositoryStore` with each request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from argosy.settings.secrets import SecretDataError, secret_text

SECRET_TYPE_LABEL = "argocd.argoproj.io/secret-type"
_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
_FALSE = {"0", "f", "F", "FALSE", "false", "False"}
_SSH_URL = re.compile(r"^(ssh://)?([^/:]*?)@[^@]+$")
_SECRET_FIELDS = ("password", "ssh_private_key", "tls_client_cert_key")


class RepositorySecretError(ValueError):
    """A repository Secret holds a value Argo CD would reject; names Secret and key."""


@dataclass(frozen=True)
class Repository:
    """Connection settings of one repository (or a credential template when ``template``)."""

    url: str
    username: str = ""
    password: str = field(default="", repr=False)
    ssh_private_key: str = field(default="", repr=False)
    tls_client_cert_data: str = ""
    tls_client_cert_key: str = field(default="", repr=False)
    type: str = ""
    name: str = ""
    project: str = ""
    insecure: bool = False
    insecure_ignore_host_key: bool = False
    enable_oci: bool = False
    enable_lfs: bool = False
    force_http_basic_auth: bool = False
    insecure_oci_force_http: bool = False
    proxy: str = ""
    no_proxy: str = ""
    inherited_creds: bool = False

    def has_credentials(self) -> bool:
        return bool(self.username or self.password or self.ssh_private_key or self.tls_client_cert_data)

    def secrets(self) -> list[str]:
        """Values that must never appear in messages."""
        return [getattr(self, f) for f in _SECRET_FIELDS if getattr(self, f)]

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Repository:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def normalize_git_url(url: str) -> str:
    """Argo CD's NormalizeGitURL: the form used to compare repository URLs."""
    repo = url.strip().lower()
    if _SSH_URL.match(repo) and not repo.startswith("ssh://"):
        repo = "ssh://" + repo.replace(":", "/", 1)
    repo = repo.removesuffix(".git")
    try:
        parts = urlsplit(repo)
        normalized = urlunsplit(parts)
    except ValueError:
        return ""
    return normalized.removeprefix("ssh://")


def same_url(left: str, right: str) -> bool:
    a, b = normalize_git_url(left) or left, normalize_git_url(right) or right
    return bool(a) and a == b


def _secret_data(secret: dict[str, Any]) -> dict[str, str]:
    name = (secret.get("metadata") or {}).get("name", "<unnamed>")
    try:
        return secret_text(secret, what=f"Secret {name!r}")
    except SecretDataError as exc:
        raise RepositorySecretError(str(exc)) from exc


def _bool(data: dict[str, str], key: str, secret_name: str) -> bool:
    raw = data.get(key, "")
    if raw == "" or raw in _FALSE:
        return False
    if raw in _TRUE:
        return True
    raise RepositorySecretError(f"Secret {secret_name!r} key {key!r}: {raw!r} is not a boolean")


def secret_type(secret: dict[str, Any]) -> str:
    return str(((secret.get("metadata") or {}).get("labels") or {}).get(SECRET_TYPE_LABEL, ""))


def repository_from_secret(secret: dict[str, Any]) -> Repository:
    """Parse a ``repository`` or ``repo-creds`` Secret (a dict as the API returns it)."""
    name = str((secret.get("metadata") or {}).get("name", "<unnamed>"))
    data = _secret_data(secret)
    if not data.get("url"):
        raise RepositorySecretError(f"Secret {name!r}: key 'url' is required")
    return Repository(
        url=data["url"],
        username=data.get("username", ""),
        password=data.get("password", ""),
        ssh_private_key=data.get("sshPrivateKey", ""),
        tls_client_cert_data=data.get("tlsClientCertData", ""),
        tls_client_cert_key=data.get("tlsClientCertKey", ""),
        type=data.get("type", ""),
        name=data.get("name", ""),
        project=data.get("project", ""),
        insecure=_bool(data, "insecure", name),
        insecure_ignore_host_key=_bool(data, "insecureIgnoreHostKey", name),
        enable_oci=_bool(data, "enableOCI", name),
        enable_lfs=_bool(data, "enableLfs", name),
        force_http_basic_auth=_bool(data, "forceHttpBasicAuth", name),
        insecure_oci_force_http=_bool(data, "insecureOCIForceHttp", name),
        proxy=data.get("proxy", ""),
        no_proxy=data.get("noProxy", ""),
    )


def _oci_key(url: str) -> str:
    return url.removeprefix("oci://")


@dataclass
class RepositoryStore:
    """Everything the repo server needs to reach repositories, passed in by the caller."""

    repositories: list[Repository] = field(default_factory=list)
    templates: list[Repository] = field(default_factory=list)
    tls_certs: dict[str, str] = field(default_factory=dict)
    ssh_known_hosts: str = ""

    @classmethod
    def from_objects(cls, objects: list[dict[str, Any]]) -> RepositoryStore:
        """Build from Secrets and the two ConfigMaps; other objects are ignored."""
        store = cls()
        for obj in objects:
            kind = obj.get("kind", "Secret")
            name = (obj.get("metadata") or {}).get("name", "")
            if kind == "ConfigMap" and name == "argocd-tls-certs-cm":
                store.tls_certs.update({str(k): str(v) for k, v in (obj.get("data") or {}).items()})
            elif kind == "ConfigMap" and name == "argocd-ssh-known-hosts-cm":
                store.ssh_known_hosts = str((obj.get("data") or {}).get("ssh_known_hosts", ""))
            elif kind == "Secret" and secret_type(obj) == "repository":
                store.repositories.append(repository_from_secret(obj))
            elif kind == "Secret" and secret_type(obj) == "repo-creds":
                store.templates.append(repository_from_secret(obj))
        return store

    def template_for(self, url: str) -> Repository | None:
        """The credential template with the longest normalized URL prefix of ``url``."""
        target = normalize_git_url(_oci_key(url))
        best: Repository | None = None
        best_len = 0
        for cred in self.templates:
            prefix = normalize_git_url(_oci_key(cred.url))
            if prefix and target.startswith(prefix) and len(prefix) > best_len:
                best, best_len = cred, len(prefix)
        return best

    def lookup(self, url: str, project: str = "") -> Repository:
        """Argo CD's GetRepository: exact repository (project-scoped first), then template creds."""
        found: Repository | None = None
        for repo in self.repositories:
            if not same_url(repo.url, url):
                continue
            if repo.project == project:
                found = repo
                break
            if repo.project == "" and found is None:
                found = repo
        repo = replace(found, url=url) if found else Repository(url=url)
        if not repo.has_credentials():
            template = self.template_for(url)
            if template is not None:
                repo = replace(
                    repo,
                    username=template.username,
                    password=template.password,
                    ssh_private_key=template.ssh_private_key,
                    tls_client_cert_data=template.tls_client_cert_data,
                    tls_client_cert_key=template.tls_client_cert_key,
                    force_http_basic_auth=repo.force_http_basic_auth or template.force_http_basic_auth,
                    enable_oci=repo.enable_oci or template.enable_oci,
                    type=repo.type or template.type,
                    proxy=repo.proxy or template.proxy,
                    no_proxy=repo.no_proxy or template.no_proxy,
                    inherited_creds=True,
                )
        return repo

    def ca_bundle_for(self, host: str) -> str:
        """PEM CA certificates configured for ``host`` (without port, as Argo CD keys them)."""
        return self.tls_certs.get(host.split(":")[0].lower(), "") or self.tls_certs.get(host, "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "repositories": [r.to_dict() for r in self.repositories],
            "templates": [r.to_dict() for r in self.templates],
            "tlsCerts": dict(self.tls_certs),
            "sshKnownHosts": self.ssh_known_hosts,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RepositoryStore:
        return cls(
            repositories=[Repository.from_dict(r) for r in d.get("repositories") or []],
            templates=[Repository.from_dict(r) for r in d.get("templates") or []],
            tls_certs=dict(d.get("tlsCerts") or {}),
            ssh_known_hosts=str(d.get("sshKnownHosts") or ""),
        )
