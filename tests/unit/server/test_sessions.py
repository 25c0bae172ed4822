"""The session manager's rules, on in-memory account settings (no cluster needed)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from argosy.server.auth.accounts import Account, Token
from argosy.server.auth.lockout import LoginThrottle
from argosy.server.auth.passwords import hash_password
from argosy.server.auth.sessions import SessionManager
from argosy.server.auth.tokens import sign
from argosy.server.errors import APIError

KEY = b"session-key-0123456789abcdef0123"
HASH = hash_password("password-1")


def manager(
    accounts: dict[str, Account], projects: dict[str, dict[str, Any]] | None = None
) -> SessionManager:
    return SessionManager(
        accounts=lambda: accounts,
        signing_key=lambda: KEY,
        session_seconds=lambda: 3600,
        get_project=lambda name: (projects or {}).get(name),
        throttle=LoginThrottle(max_failures=2, window_seconds=60),
        delay_range=(0.0, 0.0),
    )


def test_login_then_authenticate() -> None:
    mgr = manager({"ann": Account("ann", capabilities=["login"], password_hash=HASH)})
    caller = mgr.authenticate(mgr.login("ann", "password-1"))
    assert (caller.username, caller.capability) == ("ann", "login")
    assert caller.claims["exp"] - caller.claims["iat"] == 3600


def test_lockout_refuses_the_right_password() -> None:
    mgr = manager({"ann": Account("ann", capabilities=["login"], password_hash=HASH)})
    for _ in range(2):
        with pytest.raises(APIError):
            mgr.login("ann", "nope-nope")
    with pytest.raises(APIError, match="Invalid username or password"):
        mgr.login("ann", "password-1")


def test_username_too_long() -> None:
    with pytest.raises(APIError, match="too long") as err:
        manager({}).login("x" * 33, "password-1")
    assert err.value.http_status == 400


def test_api_token_must_stay_listed_and_account_capable() -> None:
    ann = Account("ann", capabilities=["apiKey"], tokens=[Token("t1", int(time.time()))])
    mgr = manager({"ann": ann})
    token = sign("ann:apiKey", KEY, token_id="t1")
    assert mgr.authenticate(token).username == "ann"
    ann.tokens.clear()
    with pytest.raises(APIError, match="does not have token with id t1"):
        mgr.authenticate(token)
    with pytest.raises(APIError, match="'login' capability"):
        mgr.authenticate(sign("ann:login", KEY, token_id="s1"))


def test_tokens_need_an_id_and_die_with_password_change_and_revocation() -> None:
    ann = Account("ann", capabilities=["login"], password_hash=HASH)
    mgr = manager({"ann": ann})
    with pytest.raises(APIError, match="jti"):
        mgr.authenticate(sign("ann:login", KEY))
    token = sign("ann:login", KEY, token_id="s1", now=time.time() - 10)
    caller = mgr.authenticate(token)
    ann.password_mtime = datetime.now(UTC) - timedelta(seconds=5)
    with pytest.raises(APIError, match="password has changed"):
        mgr.authenticate(token)
    ann.password_mtime = None
    mgr.revoke(caller)
    with pytest.raises(APIError, match="revoked"):
        mgr.authenticate(token)


def test_unknown_and_disabled_accounts() -> None:
    mgr = manager({"ann": Account("ann", enabled=False, capabilities=["login"])})
    with pytest.raises(APIError, match="does not exist"):
        mgr.authenticate(sign("bob:login", KEY, token_id="x"))
    with pytest.raises(APIError, match="disabled"):
        mgr.authenticate(sign("ann:login", KEY, token_id="x"))


def test_project_token_valid_only_while_listed() -> None:
    now = int(time.time())
    proj: dict[str, Any] = {
        "metadata": {"name": "team"},
        "spec": {"roles": [{"name": "ci", "jwtTokens": [{"iat": now, "id": "p1"}]}]},
    }
    mgr = manager({}, {"team": proj})
    token = sign("proj:team:ci", KEY, token_id="p1", now=now)
    assert mgr.authenticate(token).project_role == ("team", "ci")
    proj["spec"]["roles"][0]["jwtTokens"] = []
    with pytest.raises(APIError, match="revoked"):
        mgr.authenticate(token)
    with pytest.raises(APIError, match="does not exist"):
        mgr.authenticate(sign("proj:gone:ci", KEY, token_id="p1"))
