"""Hand credentials to git and HTTP clients without putting them on a command line.

Process arguments are visible to every user of the machine (``ps``), so
passwords go through ``GIT_ASKPASS`` reading them from the environment of the
git process, and keys, certificates and known-hosts go to files in a private
(0700) temporary directory, each 0600, removed when the operation ends.
"""

from __future__ import annotations

import base64
import os
import shlex
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from argosy.settings.repositories import Repository, RepositoryStore

_ASKPASS = """#!/bin/sh
case "$1" in
  Username*|username*) printf '%s\\n' "$ARGOSY_GIT_USERNAME" ;;
  *) printf '%s\\n' "$ARGOSY_GIT_PASSWORD" ;;
esac
"""


@dataclass
class GitAuth:
    """Environment for one git invocation, and the secrets to redact from its output."""

    env: dict[str, str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)


def _write(directory: Path, name: str, content: str, mode: int = 0o600) -> Path:
    path = directory / name
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as fh:
        fh.write(content if content.endswith("\n") else content + "\n")
    return path


def is_ssh_url(url: str) -> bool:
    return url.startswith("ssh://") or ("@" in url and "://" not in url)


def host_of(url: str) -> str:
    if is_ssh_url(url) and not url.startswith("ssh://"):
        return url.split("@", 1)[1].split(":", 1)[0]
    return urlsplit(url).hostname or ""


@contextmanager
def private_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="argosy-creds-"))
    os.chmod(path, stat.S_IRWXU)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@contextmanager
def git_auth(repo: Repository, store: RepositoryStore) -> Iterator[GitAuth]:
    """Environment variables that make git authenticate as ``repo`` says."""
    with private_dir() as tmp:
        auth = GitAuth(secrets=repo.secrets())
        env = auth.env
        env["GIT_TERMINAL_PROMPT"] = "0"
        # An empty helper list keeps ~/.gitconfig helpers from storing or supplying secrets.
        config: list[tuple[str, str]] = [("credential.helper", ""), ("core.askPass", "")]
        if is_ssh_url(repo.url):
            ssh = ["ssh", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"]
            if repo.ssh_private_key:
                key = _write(tmp, "id_key", repo.ssh_private_key)
                ssh += ["-i", str(key)]
            if repo.insecure or repo.insecure_ignore_host_key:
                ssh += ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
            else:
                known = _write(tmp, "known_hosts", store.ssh_known_hosts or "")
                ssh += ["-o", "StrictHostKeyChecking=yes", "-o", f"UserKnownHostsFile={known}"]
            env["GIT_SSH_COMMAND"] = shlex.join(ssh)
        else:
            askpass = _write(tmp, "askpass.sh", _ASKPASS, 0o700)
            env["GIT_ASKPASS"] = str(askpass)
            env["ARGOSY_GIT_USERNAME"] = repo.username
            env["ARGOSY_GIT_PASSWORD"] = repo.password
            if repo.force_http_basic_auth and (repo.username or repo.password):
                token = base64.b64encode(f"{repo.username}:{repo.password}".encode()).decode()
                config.append(("http.extraHeader", f"Authorization: Basic {token}"))
                auth.secrets.append(token)
            if repo.insecure:
                env["GIT_SSL_NO_VERIFY"] = "true"
            else:
                ca = store.ca_bundle_for(host_of(repo.url))
                if ca:
                    env["GIT_SSL_CAINFO"] = str(_write(tmp, "ca.pem", ca))
            if repo.tls_client_cert_data and repo.tls_client_cert_key:
                env["GIT_SSL_CERT"] = str(_write(tmp, "client.crt", repo.tls_client_cert_data))
                env["GIT_SSL_KEY"] = str(_write(tmp, "client.key", repo.tls_client_cert_key))
            if repo.proxy:
                config.append(("http.proxy", repo.proxy))
        # Passed as GIT_CONFIG_* environment, never as -c arguments, so ps cannot show them.
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for i, (name, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{i}"] = name
            env[f"GIT_CONFIG_VALUE_{i}"] = value
        yield auth


@dataclass
class HttpAuth:
    """httpx settings for a Helm repository: auth, TLS verification and client cert."""

    auth: tuple[str, str] | None
    verify: str | bool
    cert: tuple[str, str] | None
    secrets: list[str]


@contextmanager
def http_auth(repo: Repository, store: RepositoryStore) -> Iterator[HttpAuth]:
    with private_dir() as tmp:
        verify: str | bool = True
        if repo.insecure:
            verify = False
        else:
            ca = store.ca_bundle_for(host_of(repo.url))
            if ca:
                verify = str(_write(tmp, "ca.pem", ca))
        cert = None
        if repo.tls_client_cert_data and repo.tls_client_cert_key:
            cert = (
                str(_write(tmp, "client.crt", repo.tls_client_cert_data)),
                str(_write(tmp, "client.key", repo.tls_client_cert_key)),
            )
        basic = (repo.username, repo.password) if (repo.username or repo.password) else None
        yield HttpAuth(basic, verify, cert, repo.secrets())
