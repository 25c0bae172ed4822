"""Local accounts as Argo CD keeps them in ``argocd-cm`` and ``argocd-secret``.

``argocd-cm``::

    accounts.alice: apiKey, login       # capabilities
    accounts.alice.enabled: "false"     # optional, default true
    admin.enabled: "false"              # turns the built-in admin off

``argocd-secret`` (written by the server)::

    admin.password / admin.passwordMtime / admin.tokens
    accounts.alice.password / accounts.alice.passwordMtime / accounts.alice.tokens

``*.tokens`` is a JSON list of ``{"id", "iat", "exp"}`` (``exp`` omitted for
tokens that never expire), the same format as Argo CD.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from argosy.server.auth.tokens import CAPABILITY_API_KEY, CAPABILITY_LOGIN

ADMIN = "admin"
_PREFIX = "accounts."


@dataclass(frozen=True)
class Token:
    id: str
    iat: int
    exp: int = 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "iat": self.iat}
        if self.exp:
            out["exp"] = self.exp
        return out


@dataclass
class Account:
    name: str
    enabled: bool = True
    capabilities: list[str] = field(default_factory=list)
    password_hash: str = ""
    password_mtime: datetime | None = None
    tokens: list[Token] = field(default_factory=list)

    def has_capability(self, capability: str) -> bool:
        return capability in self.capabilities

    def token_index(self, token_id: str) -> int:
        return next((i for i, t in enumerate(self.tokens) if t.id == token_id), -1)

    def to_api(self) -> dict[str, Any]:
        """Argo CD's ``Account`` message (never the hash)."""
        tokens = sorted(self.tokens, key=lambda t: t.iat, reverse=True)
        return {
            "name": self.name,
            "enabled": self.enabled,
            "capabilities": list(self.capabilities),
            "tokens": [
                {"id": t.id, "issuedAt": t.iat, **({"expiresAt": t.exp} if t.exp else {})} for t in tokens
            ],
        }


def parse_capabilities(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def parse_mtime(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_mtime(value: datetime) -> str:
    """RFC 3339 in UTC, seconds precision, as Go's ``time.RFC3339``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_tokens(value: str | None) -> list[Token]:
    if not value:
        return []
    try:
        items = json.loads(value)
    except ValueError:
        return []
    out: list[Token] = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("id"), str):
            out.append(Token(id=item["id"], iat=int(item.get("iat") or 0), exp=int(item.get("exp") or 0)))
    return out


def format_tokens(tokens: list[Token]) -> str:
    return json.dumps([t.to_dict() for t in tokens], separators=(",", ":"))


def _false(value: str | None) -> bool:
    return (value or "").strip().lower() in ("false", "0", "f", "no")


def parse_accounts(cm: Mapping[str, str], secret: Mapping[str, str]) -> dict[str, Account]:
    """Every account, admin included, from ``argocd-cm`` data and decoded ``argocd-secret`` data."""
    accounts: dict[str, Account] = {}
    for key, value in cm.items():
        if not key.startswith(_PREFIX):
            continue
        rest = key[len(_PREFIX) :]
        if "." in rest:
            continue
        if rest == ADMIN:
            continue
        accounts[rest] = Account(
            name=rest,
            enabled=not _false(cm.get(f"{_PREFIX}{rest}.enabled")),
            capabilities=parse_capabilities(value),
            password_hash=secret.get(f"{_PREFIX}{rest}.password", ""),
            password_mtime=parse_mtime(secret.get(f"{_PREFIX}{rest}.passwordMtime")),
            tokens=parse_tokens(secret.get(f"{_PREFIX}{rest}.tokens")),
        )
    admin_caps = cm.get(f"{_PREFIX}{ADMIN}")
    accounts[ADMIN] = Account(
        name=ADMIN,
        enabled=not _false(cm.get("admin.enabled")),
        capabilities=parse_capabilities(admin_caps) if admin_caps else [CAPABILITY_LOGIN],
        password_hash=secret.get("admin.password", ""),
        password_mtime=parse_mtime(secret.get("admin.passwordMtime")),
        tokens=parse_tokens(secret.get("admin.tokens")),
    )
    return accounts


def secret_keys(name: str) -> tuple[str, str, str]:
    """The ``argocd-secret`` keys of an account: (password, passwordMtime, tokens)."""
    if name == ADMIN:
        return "admin.password", "admin.passwordMtime", "admin.tokens"
    return f"{_PREFIX}{name}.password", f"{_PREFIX}{name}.passwordMtime", f"{_PREFIX}{name}.tokens"


__all__ = [
    "ADMIN",
    "CAPABILITY_API_KEY",
    "CAPABILITY_LOGIN",
    "Account",
    "Token",
    "format_mtime",
    "format_tokens",
    "parse_accounts",
    "secret_keys",
]
