"""``argosy login --sso`` end to end: the CLI's PKCE flow through a real OpenID provider, then
everyday commands with the SSO identity, its groups mapped by RBAC, refresh and logout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from cli_support import Env

from argosy.devcluster.ports import free_ports
from conftest import ARGOCD_CM
from support.oidc_provider import CLI_CLIENT_ID, OIDCProvider, User, login_at_provider

ALICE = User("u-alice", "alice", "alice-pass-1", "alice@example.com", ("team-a",))
POLICY = "p, role:guest, applications, get, default/*, allow\ng, team-a, role:guest\n"


def oidc_config(idp: OIDCProvider, **extra: str) -> str:
    doc = {
        "name": "Zitadel",
        "issuer": idp.issuer,
        "clientID": "argosy",
        "cliClientID": CLI_CLIENT_ID,
        **extra,
    }
    return yaml.safe_dump(doc)


@pytest.fixture(scope="module")
def idp(env: Env, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OIDCProvider]:
    with OIDCProvider(tmp_path_factory.mktemp("idp"), users=(ALICE,)) as provider:
        env.ctl.set_argocd_cm(
            {
                "installationID": env.namespace,
                **ARGOCD_CM,
                "url": env.server.url,
                "oidc.config": oidc_config(provider),
            }
        )
        rbac = {"apiVersion": "v1", "kind": "ConfigMap", "data": {"policy.csv": POLICY},
                "metadata": {"name": "argocd-rbac-cm", "namespace": env.namespace}}  # fmt: skip
        env.cluster.kubectl("apply", "-f", "-", stdin=json.dumps(rbac))
        env.ctl.apply_app(
            "guestbook",
            {
                "project": "default",
                "source": {"repoURL": "file:///nonexistent/repo.git", "path": "guestbook"},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "guestbook"},
            },
        )
        yield provider


def sso_login(env: Env, config: Path) -> subprocess.CompletedProcess[str]:
    """Run ``argosy login --sso`` and be the user's browser: open the printed URL, log in, come back."""
    port = free_ports(1)[0]
    address = f"127.0.0.1:{env.server.port}"
    args = ["login", address, "--plaintext", "--sso", "--sso-port", str(port), "--sso-launch-browser=false"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "argosy", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ARGOSY_CONFIG": str(config)},
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert "authorization_code flow login: " in first, first + (proc.stderr.read() if proc.stderr else "")
    url = first.split(": ", 1)[1].strip()
    assert f"redirect_uri=http%3A%2F%2Flocalhost%3A{port}%2Fauth%2Fcallback" in url
    assert "code_challenge_method=S256" in url
    with httpx.Client(timeout=30) as browser:
        callback = login_at_provider(browser, url, ALICE.username, ALICE.password)
        page = browser.get(callback.replace("://localhost:", "://127.0.0.1:"))
        assert "Authentication successful" in page.text
    out, err = proc.communicate(timeout=60)
    return subprocess.CompletedProcess(args, proc.returncode, first + out, err)


def test_login_sso_then_commands_with_groups(env: Env, idp: OIDCProvider, tmp_path: Path) -> None:
    config = tmp_path / "sso-config"
    done = sso_login(env, config)
    assert done.returncode == 0, done.stderr
    assert "'alice@example.com' logged in successfully" in done.stdout
    assert config.stat().st_mode & 0o777 == 0o600
    stored = yaml.safe_load(config.read_text())
    user = stored["users"][0]
    assert user["auth-token"].count(".") == 2 and user["refresh-token"]

    info = env.cli.run("account", "get-user-info", config=config).stdout
    assert "alice@example.com" in info and "team-a" in info and idp.issuer in info
    listed = env.cli.run("app", "list", config=config).stdout
    assert "guestbook" in listed
    denied = env.cli.run("app", "sync", "guestbook", code=None, config=config)
    assert denied.returncode != 0 and "permission denied" in denied.stderr.lower(), denied.stderr

    # Refresh: with a threshold as long as the token's life, the next command renews it.
    env.ctl.set_argocd_cm({"installationID": env.namespace, **ARGOCD_CM, "url": env.server.url,
                           "oidc.config": oidc_config(idp, refreshTokenThreshold="1h")})  # fmt: skip
    env.cli.run("app", "list", config=config)
    renewed = yaml.safe_load(config.read_text())["users"][0]
    assert renewed["auth-token"] != user["auth-token"]

    # Logout revokes the session on the server.
    env.cli.run("logout", config=config)
    reused = env.cli.run("app", "list", "--auth-token", renewed["auth-token"], code=None, config=config)
    assert reused.returncode != 0 and "revoked" in reused.stderr, reused.stderr
