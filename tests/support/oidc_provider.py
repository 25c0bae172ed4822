"""A real OpenID Connect provider on loopback for the SSO tests, and a "browser" that logs in at it.

The provider is zitadel/oidc's example OpenID provider built by ``dev/setup.sh``
(``dev/oidc-provider``): authorization code with PKCE, refresh tokens, JWKS,
discovery, RS256 ID tokens, plus the ``groups`` claim.

    with OIDCProvider(tmp_path, users=USERS, web_redirect="http://127.0.0.1:8080/auth/callback") as idp:
        idp.issuer                       # http://127.0.0.1:<port>/
        location = login_at_provider(client, authorize_url, "alice", "alice-pass")
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from urllib.parse import urljoin

import httpx

from argosy.devcluster import build
from argosy.devcluster.ports import free_ports

WEB_CLIENT_ID = "argosy"
WEB_CLIENT_SECRET = "web-client-s3cret"
CLI_CLIENT_ID = "argosy-cli"


@dataclass(frozen=True)
class User:
    id: str
    username: str
    password: str
    email: str
    groups: tuple[str, ...] = ()


@dataclass
class OIDCProvider:
    root: Path
    users: tuple[User, ...]
    web_redirect: str = ""
    port: int = 0
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> OIDCProvider:
        self.root.mkdir(parents=True, exist_ok=True)
        users = {
            u.id: {
                "ID": u.id, "Username": u.username, "Password": u.password, "FirstName": u.username,
                "LastName": "Test", "Email": u.email, "EmailVerified": True, "PreferredLanguage": "en",
            }
            for u in self.users
        }  # fmt: skip
        (self.root / "users.json").write_text(json.dumps(users))
        (self.root / "groups.json").write_text(json.dumps({u.id: list(u.groups) for u in self.users}))
        self.port = self.port or free_ports(1)[0]
        env = {
            "ADDR": f"127.0.0.1:{self.port}",
            "USERS_FILE": str(self.root / "users.json"),
            "GROUPS_FILE": str(self.root / "groups.json"),
            "NATIVE_CLIENT": CLI_CLIENT_ID,
            "PATH": "/usr/bin:/bin",
        }
        if self.web_redirect:
            env["WEB_CLIENT"] = f"{WEB_CLIENT_ID}:{WEB_CLIENT_SECRET}:{self.web_redirect}"
        log = (self.root / "provider.log").open("wb")
        self.proc = subprocess.Popen(
            [str(build.binary("oidc-provider"))], env=env, stdout=subprocess.PIPE, stderr=log
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        if not line.startswith("listening"):
            self.stop()
            raise RuntimeError(f"the OIDC provider did not start: {(self.root / 'provider.log').read_text()}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.issuer + ".well-known/openid-configuration", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the OIDC provider does not answer its discovery document")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def __enter__(self) -> OIDCProvider:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def login_at_provider(client: httpx.Client, authorize_url: str, username: str, password: str) -> str:
    """Do what a user does in the browser: open the authorize URL, fill in the provider's login form.

    Returns the URL the provider finally redirects to (the client's callback
    with ``code`` and ``state``), without following it.
    """
    resp = client.get(authorize_url, follow_redirects=False)
    while resp.status_code in (302, 303) and "/login/" not in resp.headers["location"]:
        resp = client.get(urljoin(authorize_url, resp.headers["location"]), follow_redirects=False)
    assert resp.status_code in (302, 303), resp.text
    form_url = urljoin(authorize_url, resp.headers["location"])
    form = client.get(form_url)
    match = re.search(r'name="id" value="([^"]+)"', form.text)
    assert match, form.text
    done = client.post(
        urljoin(form_url, "username"), data={"username": username, "password": password, "id": match.group(1)}
    )
    assert done.status_code in (302, 303), f"the provider refused the login of {username}: {done.text}"
    resp = client.get(urljoin(form_url, done.headers["location"]), follow_redirects=False)
    assert resp.status_code in (302, 303), resp.text
    return str(resp.headers["location"])
