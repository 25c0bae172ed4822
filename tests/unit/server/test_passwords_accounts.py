"""Password rules, bcrypt compatibility and account parsing from argocd-cm / argocd-secret."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import bcrypt
import pytest

from argosy.server.auth.accounts import Token, format_mtime, format_tokens, parse_accounts
from argosy.server.auth.passwords import PasswordError, check_new_password, hash_password, verify_password


def test_hash_is_bcrypt_cost_10_and_verifies() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$2b$10$")
    assert verify_password("correct horse", hashed)
    assert not verify_password("wrong horse", hashed)
    # a hash made by another bcrypt implementation (as Argo CD's Go code) verifies too
    assert verify_password("pw-123456", bcrypt.hashpw(b"pw-123456", bcrypt.gensalt(4)).decode())


@pytest.mark.parametrize("hashed", ["", "not-a-hash", "$2b$10$short"])
def test_bad_hashes_never_verify(hashed: str) -> None:
    assert not verify_password("anything", hashed)


def test_default_pattern_is_8_to_32() -> None:
    check_new_password("12345678")
    with pytest.raises(PasswordError, match=r"\^\.\{8,32\}\$"):
        check_new_password("1234567")
    with pytest.raises(PasswordError):
        check_new_password("x" * 33)


def test_custom_pattern_and_broken_pattern() -> None:
    check_new_password("Abcdef1!", "^[A-Za-z0-9!]{8,}$")
    with pytest.raises(PasswordError, match="does not match"):
        check_new_password("Abcdefgh", "[0-9]")
    with pytest.raises(PasswordError, match="not a valid regular expression"):
        check_new_password("whatever1", "([")


def test_a_lookahead_password_pattern_is_refused_as_argo_cd_refuses_it() -> None:
    # Argo CD's passwordPattern is a Go regexp (RE2): no lookaround, and linear-time matching.
    with pytest.raises(PasswordError, match=r"invalid perl operator: \(\?=.*no backreferences, lookaround"):
        check_new_password("Abcdef1!", "^(?=.*[0-9])(?=.*[!]).{8,}$")


def test_accounts_from_settings() -> None:
    mtime = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    cm = {
        "accounts.alice": "apiKey, login",
        "accounts.bot": "apiKey",
        "accounts.bot.enabled": "false",
        "accounts.alice.enabled": "true",
        "admin.enabled": "false",
        "url": "https://argo.example.com",
    }
    secret = {
        "admin.password": "$2b$10$abc",
        "accounts.alice.password": "$2b$10$def",
        "accounts.alice.passwordMtime": format_mtime(mtime),
        "accounts.alice.tokens": format_tokens([Token("t1", 100, 200), Token("t2", 300)]),
    }
    accounts = parse_accounts(cm, secret)
    assert sorted(accounts) == ["admin", "alice", "bot"]
    alice = accounts["alice"]
    assert alice.capabilities == ["apiKey", "login"] and alice.enabled
    assert alice.password_mtime == mtime
    assert [t.id for t in alice.tokens] == ["t1", "t2"]
    assert json.loads(secret["accounts.alice.tokens"]) == [
        {"id": "t1", "iat": 100, "exp": 200},
        {"id": "t2", "iat": 300},
    ]
    assert not accounts["bot"].enabled and accounts["bot"].capabilities == ["apiKey"]
    admin = accounts["admin"]
    assert not admin.enabled and admin.capabilities == ["login"] and admin.password_hash == "$2b$10$abc"
    api = alice.to_api()
    assert [t["id"] for t in api["tokens"]] == ["t2", "t1"]  # newest first, as Argo CD
    assert "password" not in json.dumps(api)


def test_malformed_token_list_is_empty_not_fatal() -> None:
    accounts = parse_accounts({"accounts.x": "apiKey"}, {"accounts.x.tokens": "{nope"})
    assert accounts["x"].tokens == []
