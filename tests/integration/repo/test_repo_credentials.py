"""Credentials from repository Secrets and repo-creds templates, over HTTP(S) and SSH."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from argosy.repo import RenderResult
from argosy.repo.errors import AuthenticationError, UnreachableError
from support.git_server import GitHttpServer
from support.naming import GIT_TOKEN, GIT_USER, unique
from support.secrets import application, known_hosts_cm, repo_secret, tls_certs_cm
from support.ssh_server import SshServer

Render = Callable[..., RenderResult]
CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: private\n"


def _private(server: GitHttpServer) -> str:
    name = unique("private")
    server.create_repo(name, private=True).commit({"app/cm.yaml": CM})
    return server.url(name)


def _app(url: str) -> dict[str, object]:
    return application({"repoURL": url, "path": "app", "targetRevision": "main"})


def test_repository_secret_username_password(git_server: GitHttpServer, render: Render) -> None:
    url = _private(git_server)
    secret = repo_secret(url=url, username=GIT_USER[0], password=GIT_USER[1])
    assert render(_app(url), [secret]).manifests()[0]["metadata"]["name"] == "private"


def test_token_as_password(git_server: GitHttpServer, render: Render) -> None:
    url = _private(git_server)
    secret = repo_secret(url=url, username="x-access-token", password=GIT_TOKEN)
    assert len(render(_app(url), [secret]).objects) == 1


def test_template_longest_prefix_wins(git_server: GitHttpServer, render: Render) -> None:
    url = _private(git_server)
    base = url.rsplit("/", 1)[0]
    wrong = repo_secret("repo-creds", url=base, username=GIT_USER[0], password="wrong-password")
    right = repo_secret(
        "repo-creds", url=url.removesuffix(".git")[:-1], username=GIT_USER[0], password=GIT_USER[1]
    )
    assert len(render(_app(url), [wrong, right]).objects) == 1
    with pytest.raises(AuthenticationError):
        render(_app(url), [wrong], no_cache=True)


def test_repository_own_credentials_beat_template(git_server: GitHttpServer, render: Render) -> None:
    url = _private(git_server)
    template = repo_secret(
        "repo-creds", url=url.rsplit("/", 1)[0], username=GIT_USER[0], password="nope-nope"
    )
    own = repo_secret(url=url, username=GIT_USER[0], password=GIT_USER[1])
    assert len(render(_app(url), [template, own]).objects) == 1


def test_missing_and_wrong_credentials_are_auth_errors_without_leaks(
    git_server: GitHttpServer, render: Render
) -> None:
    url = _private(git_server)
    with pytest.raises(AuthenticationError):
        render(_app(url))
    bad = "hunter2-wrong-password"
    with pytest.raises(AuthenticationError) as info:
        render(_app(url), [repo_secret(url=url, username=GIT_USER[0], password=bad)])
    assert bad not in str(info.value)


def test_password_never_in_process_arguments(git_server: GitHttpServer, render: Render) -> None:
    url = _private(git_server)
    seen: list[str] = []
    stop = threading.Event()

    def scan() -> None:
        while not stop.is_set():
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    with contextlib.suppress(OSError):
                        seen.append(Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"))

    git_server.delay = 0.3  # keep git processes alive long enough to be seen
    scanner = threading.Thread(target=scan, daemon=True)
    scanner.start()
    try:
        render(_app(url), [repo_secret(url=url, username=GIT_USER[0], password=GIT_USER[1])])
    finally:
        git_server.delay = 0.0
        stop.set()
        scanner.join()
    assert any("ls-remote" in c or "fetch" in c for c in seen), "the scan saw the git processes"
    assert not any(GIT_USER[1] in c for c in seen)


def test_unreachable_host(render: Render) -> None:
    with pytest.raises(UnreachableError):
        render(_app("http://127.0.0.1:1/nothing.git"))


def test_https_with_ca_from_tls_certs_configmap(git_tls_server: GitHttpServer, render: Render) -> None:
    name = unique("tls")
    git_tls_server.create_repo(name).commit({"app/cm.yaml": CM})
    url = git_tls_server.url(name)
    assert git_tls_server.tls is not None
    with pytest.raises(UnreachableError, match="certificate"):
        render(_app(url))
    ok = render(_app(url), [tls_certs_cm({"127.0.0.1": git_tls_server.tls.ca_pem})], no_cache=True)
    assert len(ok.objects) == 1
    insecure = render(_app(url), [repo_secret(url=url, insecure="true")], no_cache=True)
    assert len(insecure.objects) == 1


def _ssh_repo(ssh_server: SshServer) -> str:
    name = unique("ssh")
    ssh_server.create_repo(name).commit({"app/cm.yaml": CM})
    return ssh_server.url(name)


def test_ssh_key_with_known_hosts(ssh_server: SshServer, render: Render) -> None:
    url = _ssh_repo(ssh_server)
    objects = [
        repo_secret(url=url, sshPrivateKey=ssh_server.client_key),
        known_hosts_cm(ssh_server.known_hosts_line()),
    ]
    assert len(render(_app(url), objects).objects) == 1


def test_ssh_template_credentials(ssh_server: SshServer, render: Render) -> None:
    url = _ssh_repo(ssh_server)
    prefix = url.rsplit("/", 1)[0]
    objects = [
        repo_secret("repo-creds", url=prefix, sshPrivateKey=ssh_server.client_key),
        known_hosts_cm(ssh_server.known_hosts_line()),
    ]
    assert len(render(_app(url), objects).objects) == 1


def test_ssh_unknown_host_key_is_refused_unless_insecure(ssh_server: SshServer, render: Render) -> None:
    url = _ssh_repo(ssh_server)
    with pytest.raises(UnreachableError, match="known-hosts"):
        render(_app(url), [repo_secret(url=url, sshPrivateKey=ssh_server.client_key)])
    opted_out = [repo_secret(url=url, sshPrivateKey=ssh_server.client_key, insecure="true")]
    assert len(render(_app(url), opted_out, no_cache=True).objects) == 1


def test_ssh_wrong_key_is_an_auth_error(ssh_server: SshServer, render: Render) -> None:
    url = _ssh_repo(ssh_server)
    objects = [
        repo_secret(url=url, sshPrivateKey=ssh_server.other_key),
        known_hosts_cm(ssh_server.known_hosts_line()),
    ]
    with pytest.raises(AuthenticationError) as info:
        render(_app(url), objects)
    assert "PRIVATE KEY" not in str(info.value)
