"""``/api/v1/account``: local accounts, ``can-i``, password changes and API tokens.

An account may always read itself and manage its own tokens; anything about
another account needs ``accounts, get|update, <name>`` in RBAC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel

from argosy.server.auth.accounts import (
    Account,
    Token,
    format_mtime,
    format_tokens,
    parse_tokens,
    secret_keys,
)
from argosy.server.auth.passwords import PasswordError, check_new_password, hash_password
from argosy.server.auth.sessions import Caller
from argosy.server.auth.tokens import CAPABILITY_API_KEY, new_token_id
from argosy.server.context import ServerContext
from argosy.server.deps import Auth, Ctx
from argosy.server.errors import ALREADY_EXISTS, INVALID_ARGUMENT, NOT_FOUND, APIError
from argosy.server.rbac.resources import ACTIONS, RESOURCES

router = APIRouter(tags=["AccountService"])


def _is_self(caller: Caller, name: str) -> bool:
    return caller.project_role is None and caller.username == name


def _ensure_permission(ctx: ServerContext, caller: Caller, action: str, name: str) -> None:
    if not _is_self(caller, name):
        ctx.enforce(caller, "accounts", action, name)


def _account(ctx: ServerContext, name: str) -> Account:
    account = ctx.settings.accounts().get(name)
    if account is None:
        raise APIError(
            NOT_FOUND,
            f"account '{name}' does not exist: declare it in argocd-cm as 'accounts.{name}: apiKey, login'",
        )
    return account


@router.get("/api/v1/account")
def list_accounts(caller: Auth, ctx: Ctx) -> dict[str, Any]:
    accounts = ctx.settings.accounts()
    items = [
        a.to_api()
        for name, a in sorted(accounts.items())
        if _is_self(caller, name) or ctx.allowed(caller, "accounts", "get", name)
    ]
    return {"items": items}


@router.get("/api/v1/account/can-i/{resource}/{action}/{subresource:path}")
def can_i(resource: str, action: str, subresource: str, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    verb = action.partition("/")[0]
    if action == "action" and subresource.count("/") >= 4:
        # ``action/<group>/<kind>/<name>`` arrives split (an encoded %2F is decoded before routing).
        parts = subresource.split("/")
        action, subresource = "/".join([action, *parts[:3]]), "/".join(parts[3:])
    if verb not in ACTIONS:
        raise APIError(INVALID_ARGUMENT, f"{list(ACTIONS)} does not contain {action}")
    if resource not in RESOURCES:
        raise APIError(INVALID_ARGUMENT, f"{list(RESOURCES)} does not contain {resource}")
    return {"value": "yes" if ctx.allowed(caller, resource, action, subresource) else "no"}


class PasswordUpdate(BaseModel):
    newPassword: str = ""
    currentPassword: str = ""
    name: str = ""


@router.put("/api/v1/account/password")
def update_password(body: PasswordUpdate, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    """Change a password; the caller proves who they are with their own current password."""
    if caller.project_role is not None:
        raise APIError(
            INVALID_ARGUMENT,
            f"password can only be changed for local users, not project token '{caller.username}'",
        )
    target = body.name or caller.username
    _ensure_permission(ctx, caller, "update", target)
    try:
        ctx.sessions.verify_password(caller.username, body.currentPassword)
    except APIError:
        raise APIError(
            INVALID_ARGUMENT, "current password does not match: send your own current password"
        ) from None
    _account(ctx, target)
    try:
        check_new_password(body.newPassword, ctx.settings.argocd_cm().get("passwordPattern", ""))
        hashed = hash_password(body.newPassword)
    except PasswordError as err:
        raise APIError(INVALID_ARGUMENT, str(err)) from None
    pw_key, mtime_key, _ = secret_keys(target)

    def mutate(data: dict[str, str]) -> None:
        data[pw_key] = hashed
        data[mtime_key] = format_mtime(datetime.fromtimestamp(ctx.sessions.clock(), UTC))

    ctx.settings.update_secret(mutate)
    return {}


@router.get("/api/v1/account/{name}")
def get_account(name: str, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    _ensure_permission(ctx, caller, "get", name)
    return _account(ctx, name).to_api()


class TokenCreate(BaseModel):
    name: str = ""
    expiresIn: int = 0
    id: str = ""


@router.post("/api/v1/account/{name}/token")
def create_token(name: str, body: TokenCreate, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    """A new API token (``expiresIn`` seconds, 0 = never) whose id is recorded in ``argocd-secret``."""
    _ensure_permission(ctx, caller, "update", name)
    account = _account(ctx, name)
    if not account.has_capability(CAPABILITY_API_KEY):
        raise APIError(
            INVALID_ARGUMENT,
            f"account '{name}' does not have {CAPABILITY_API_KEY} capability: "
            f"set 'accounts.{name}: apiKey' (or 'apiKey, login') in argocd-cm",
        )
    if body.expiresIn < 0:
        raise APIError(INVALID_ARGUMENT, "expiresIn must be 0 (never expires) or a number of seconds")
    token_id = body.id or new_token_id()
    if account.token_index(token_id) >= 0:
        raise APIError(ALREADY_EXISTS, f"account '{name}' already has token with id '{token_id}'")
    now = ctx.sessions.now()
    token = ctx.sessions.create(f"{name}:{CAPABILITY_API_KEY}", body.expiresIn, token_id, now=now)
    _, _, tokens_key = secret_keys(name)

    def mutate(data: dict[str, str]) -> None:
        current = parse_tokens(data.get(tokens_key))
        if any(t.id == token_id for t in current):
            raise APIError(ALREADY_EXISTS, f"account '{name}' already has token with id '{token_id}'")
        exp = now + body.expiresIn if body.expiresIn > 0 else 0
        data[tokens_key] = format_tokens([*current, Token(id=token_id, iat=now, exp=exp)])

    ctx.settings.update_secret(mutate)
    return {"token": token}


@router.delete("/api/v1/account/{name}/token/{token_id}")
def delete_token(name: str, token_id: str, caller: Auth, ctx: Ctx) -> dict[str, Any]:
    """Revoke an API token by removing its id; the token is refused from the next request on."""
    _ensure_permission(ctx, caller, "update", name)
    account = _account(ctx, name)
    if account.token_index(token_id) < 0:
        raise APIError(NOT_FOUND, f"token with id '{token_id}' does not exist in account '{name}'")
    _, _, tokens_key = secret_keys(name)

    def mutate(data: dict[str, str]) -> None:
        remaining = [t for t in parse_tokens(data.get(tokens_key)) if t.id != token_id]
        data[tokens_key] = format_tokens(remaining)

    ctx.settings.update_secret(mutate)
    return {}
