"""SSO sessions in the session manager, RBAC on their groups, and the CLI's token bookkeeping."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path
from typing import Any

import pytest

from argosy.cli.commands.config import ClientConfig, ServerEntry
from argosy.cli.sso import needs_refresh, threshold_of
from argosy.server.auth.oidc.refresh import seal, unseal
from argosy.server.auth.oidc.service import safe_return_path
from argosy.server.auth.sessions import SessionManager
from argosy.server.auth.tokens import sign
from argosy.server.errors import UNAUTHENTICATED, APIError
from argosy.server.rbac import Enforcer, enforce_claims

KEY = b"session-key-0123456789abcdef0123"
SSO_CLAIMS = {"iss": "https://idp.example.com/", "sub": "u-alice", "email": "alice@example.com",
              "groups": ["team-a"], "exp": int(time.time()) + 600}  # fmt: skip


def fake_jwt(claims: dict[str, Any]) -> str:
    """A JWT-shaped string: the manager routes on its unverified ``iss`` and the verifier decides."""

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'RS256', 'kid': 'k'})}.{part(claims)}.c2ln"


def manager(verified: list[str]) -> SessionManager:
    def verify(token: str) -> dict[str, Any]:
        verified.append(token)
        return {**SSO_CLAIMS, "exp": int(time.time()) + 600}  # fresh: the suite may run long

    return SessionManager(
        accounts=dict,
        signing_key=lambda: KEY,
        session_seconds=lambda: 3600,
        get_project=lambda name: None,
        delay_range=(0.0, 0.0),
        sso_verify=verify,
    )


def test_foreign_tokens_go_to_the_provider_and_can_be_revoked() -> None:
    seen: list[str] = []
    mgr = manager(seen)
    token = fake_jwt({**SSO_CLAIMS, "exp": int(time.time()) + 600})
    caller = mgr.authenticate(token)
    assert seen == [token] and caller.sso and caller.username == "alice@example.com"
    assert caller.session_id.startswith("sso:") and token not in caller.session_id
    mgr.revoke(caller)
    with pytest.raises(APIError, match="revoked") as err:
        mgr.authenticate(token)
    assert err.value.code == UNAUTHENTICATED


def test_own_tokens_never_reach_the_provider() -> None:
    seen: list[str] = []
    with pytest.raises(APIError, match="does not exist"):
        manager(seen).authenticate(sign("ghost:login", KEY, expires_in=60, token_id="t"))
    assert seen == []


def test_groups_of_an_sso_user_match_g_lines() -> None:
    enforcer = Enforcer("p, role:guest, applications, get, default/*, allow\ng, team-a, role:guest\n")
    assert enforce_claims(enforcer, SSO_CLAIMS, "applications", "get", "default/guestbook")
    assert not enforce_claims(enforcer, SSO_CLAIMS, "applications", "sync", "default/guestbook")
    outsider = {**SSO_CLAIMS, "groups": ["team-b"]}
    assert not enforce_claims(enforcer, outsider, "applications", "get", "default/guestbook")
    by_email = Enforcer("g, alice@example.com, role:admin\n")
    assert enforce_claims(
        by_email, SSO_CLAIMS, "applications", "sync", "default/x", scopes=("groups", "email")
    )
    assert not enforce_claims(by_email, SSO_CLAIMS, "applications", "sync", "default/x")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("/applications?x=1", "/applications?x=1"), ("https://evil.example.com/", "/"), ("//evil.com", "/"),
     ("/\\evil.com", "/"), ("javascript:alert(1)", "/"), ("", "/")],
)  # fmt: skip
def test_return_url_stays_on_this_server(value: str, expected: str) -> None:
    assert safe_return_path(value) == expected


def test_refresh_decision() -> None:
    now = time.time()
    sso_token = fake_jwt({**SSO_CLAIMS, "exp": int(now) + 120})
    assert needs_refresh(sso_token, "rt", now=now, threshold=300)
    assert not needs_refresh(sso_token, "rt", now=now, threshold=60)
    assert not needs_refresh(sso_token, "", now=now)  # nothing to refresh with
    local = sign("admin:login", KEY, expires_in=10, token_id="t")
    assert not needs_refresh(local, "rt", now=now)  # Argosy's own sessions are not refreshed
    assert threshold_of({"oidcConfig": {"refreshTokenThreshold": "120s"}}) == 120
    assert threshold_of({"oidcConfig": None}) == 300


def test_client_config_keeps_the_refresh_token_private(tmp_path: Path) -> None:
    path = tmp_path / "config"
    cfg = ClientConfig.load(path)
    cfg.upsert("prod", ServerEntry("argosy.example.com"), "id-token", "refresh-token")
    cfg.save()
    assert path.stat().st_mode & 0o777 == 0o600
    again = ClientConfig.load(path)
    assert again.users["prod"] == "id-token" and again.refresh_tokens["prod"] == "refresh-token"
    again.remove("prod")
    again.save()
    assert "refresh-token" not in path.read_text()


def test_project_role_groups_apply_to_sso_users() -> None:
    project = {
        "metadata": {"name": "team-a-proj"},
        "spec": {
            "roles": [
                {
                    "name": "deployer",
                    "policies": ["p, proj:team-a-proj:deployer, applications, sync, team-a-proj/*, allow"],
                    "groups": ["team-a"],
                }
            ]
        },
    }
    enforcer = Enforcer("")
    lookup = {"team-a-proj": project}.get
    assert enforce_claims(enforcer, SSO_CLAIMS, "applications", "sync", "team-a-proj/web", get_project=lookup)
    outsider = {**SSO_CLAIMS, "groups": ["team-b"]}
    assert not enforce_claims(
        enforcer, outsider, "applications", "sync", "team-a-proj/web", get_project=lookup
    )


def test_refresh_cookie_is_sealed_per_installation() -> None:
    sealed = seal(KEY, "provider-refresh-token")
    assert "provider-refresh-token" not in sealed
    assert unseal(KEY, sealed) == "provider-refresh-token"
    assert unseal(b"another-installation-key-0123456", sealed) is None
    assert unseal(KEY, "garbage") is None
