"""Logging in and checking tokens: the rules of Argo CD's session manager.

A login checks the throttle first (a locked-out name is refused even with
the right password), then the password, then that the account is enabled
and has the ``login`` capability; it answers the same "Invalid username or
password" for an unknown user and a wrong password, after the same random
delay, so neither timing nor wording tells which it was.

A token is accepted when it verifies (HS256 with ``server.secretkey``, not
expired) and still stands: the account exists, is enabled and has the
capability the token was made for; the id is not revoked; an API token's
id is still listed in the account; it was issued after the last password
change. A project token must still be listed in its AppProject.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from argosy.server.auth.accounts import Account
from argosy.server.auth.lockout import LoginThrottle
from argosy.server.auth.oidc.service import token_fingerprint
from argosy.server.auth.passwords import hash_password, verify_password
from argosy.server.auth.revocation import RevokedTokens
from argosy.server.auth.tokens import (
    CAPABILITY_API_KEY,
    CAPABILITY_LOGIN,
    ISSUER,
    TokenError,
    new_token_id,
    sign,
    split_subject,
    unverified_issuer,
    verify,
)
from argosy.server.errors import INVALID_ARGUMENT, UNAUTHENTICATED, APIError
from argosy.server.rbac.projects import parse_project_subject, project_token_exists

INVALID_LOGIN = "Invalid username or password"
MAX_USERNAME_LENGTH = 32

ProjectLookup = Callable[[str], Mapping[str, Any] | None]


@dataclass(frozen=True)
class Caller:
    """Who is calling: the verified claims plus what they mean."""

    claims: dict[str, Any] = field(default_factory=dict)
    username: str = ""
    capability: str = ""
    project_role: tuple[str, str] | None = None
    #: Logged in through the OpenID provider (the token is the provider's ID token).
    sso: bool = False
    #: What revokes this session at logout (an ID token's fingerprint; else the ``jti``).
    session_id: str = ""

    @property
    def token_id(self) -> str:
        jti = self.claims.get("jti")
        return jti if isinstance(jti, str) else ""


class SessionManager:
    """Creates and checks tokens against the live account settings."""

    def __init__(
        self,
        *,
        accounts: Callable[[], dict[str, Account]],
        signing_key: Callable[[], bytes],
        session_seconds: Callable[[], int],
        get_project: ProjectLookup,
        throttle: LoginThrottle | None = None,
        revoked: RevokedTokens | None = None,
        delay_range: tuple[float, float] = (0.5, 1.0),
        sso_verify: Callable[[str], dict[str, Any]] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``clock`` (epoch seconds) dates new tokens and judges expiry; tests move it forward."""
        self._accounts = accounts
        self._signing_key = signing_key
        self._session_seconds = session_seconds
        self._get_project = get_project
        self.throttle = throttle or LoginThrottle()
        self.revoked = revoked or RevokedTokens()
        self.delay_range = delay_range
        self._sso_verify = sso_verify
        self.clock = clock

    def now(self) -> int:
        """The server's time in whole seconds: what ``iat`` and ``exp`` are counted in."""
        return int(self.clock())

    # -- login ------------------------------------------------------------------
    def _pad(self, started: float) -> None:
        low, high = self.delay_range
        if high <= 0:
            return
        target = random.uniform(low, high)
        remaining = target - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)

    def verify_password(self, username: str, password: str) -> Account:
        """The account when ``password`` is right and the account may log in; APIError(401) otherwise."""
        if not password:
            raise APIError(UNAUTHENTICATED, "Blank passwords are not allowed")
        if len(username.encode("utf-8")) > MAX_USERNAME_LENGTH:
            raise APIError(INVALID_ARGUMENT, f"Username is too long ({MAX_USERNAME_LENGTH} bytes max)")
        started = time.monotonic()
        try:
            if self.throttle.locked_out(username):
                raise APIError(UNAUTHENTICATED, INVALID_LOGIN)
            account = self._accounts().get(username)
            if account is None:
                hash_password("for_consistent_response_time")
                self.throttle.record(username, failed=True)
                raise APIError(UNAUTHENTICATED, INVALID_LOGIN)
            if not verify_password(password, account.password_hash):
                self.throttle.record(username, failed=True)
                raise APIError(UNAUTHENTICATED, INVALID_LOGIN)
            if not account.enabled:
                raise APIError(UNAUTHENTICATED, f"Account {username} is disabled")
            if not account.has_capability(CAPABILITY_LOGIN):
                raise APIError(
                    UNAUTHENTICATED, f"Account {username} does not have {CAPABILITY_LOGIN} capability"
                )
            self.throttle.record(username, failed=False)
            return account
        finally:
            self._pad(started)

    def login(self, username: str, password: str) -> str:
        self.verify_password(username, password)
        subject = f"{username}:{CAPABILITY_LOGIN}"
        return self.create(subject, self._session_seconds(), new_token_id(), now=self.now())

    def create(self, subject: str, expires_in: int, token_id: str, *, now: int) -> str:
        """A signed token issued at ``now``: the caller records the same instant beside it."""
        return sign(subject, self._signing_key(), expires_in=expires_in, token_id=token_id, now=now)

    def revoke(self, caller: Caller) -> None:
        exp = caller.claims.get("exp")
        session_id = caller.session_id or caller.token_id
        if session_id:
            self.revoked.revoke(session_id, float(exp) if isinstance(exp, int | float) else 0.0)

    # -- checking tokens ----------------------------------------------------------
    def authenticate(self, token: str) -> Caller:
        """The caller a token stands for; APIError(401) naming why it is refused.

        A token this server did not issue (its ``iss`` is not ``argocd``) is an
        SSO ID token when ``oidc.config`` is set, checked against the provider.
        """
        if self._sso_verify is not None:
            try:
                foreign = unverified_issuer(token) != ISSUER
            except TokenError as err:
                raise APIError(UNAUTHENTICATED, f"invalid session: {err}") from None
            if foreign:
                return self._sso_caller(token, self._sso_verify)
        try:
            claims = verify(token, self._signing_key(), now=self.clock())
            return self._check(claims)
        except TokenError as err:
            raise APIError(UNAUTHENTICATED, f"invalid session: {err}") from None

    def _sso_caller(self, token: str, verify: Callable[[str], dict[str, Any]]) -> Caller:
        claims = verify(token)
        session_id = token_fingerprint(token)
        if self.revoked.is_revoked(session_id):
            raise APIError(UNAUTHENTICATED, "invalid session: token is revoked, please re-login")
        name = claims.get("email") or claims.get("sub")
        return Caller(claims=claims, username=str(name), sso=True, session_id=session_id)

    def _check(self, claims: dict[str, Any]) -> Caller:
        subject = str(claims.get("sub") or "")
        token_id = claims.get("jti") if isinstance(claims.get("jti"), str) else ""
        iat = claims.get("iat")
        issued_at = int(iat) if isinstance(iat, int | float) else 0
        project_role = parse_project_subject(subject)
        if project_role is not None:
            project = self._get_project(project_role[0])
            if project is None:
                raise TokenError(f"project '{project_role[0]}' does not exist")
            if not project_token_exists(project, project_role[1], str(token_id or ""), issued_at):
                raise TokenError(
                    f"token of role '{project_role[1]}' in project '{project_role[0]}' "
                    "was revoked or never issued"
                )
            return Caller(claims=claims, username=subject, project_role=project_role)
        name, capability = split_subject(subject)
        account = self._accounts().get(name)
        if account is None:
            raise TokenError(f"account '{name}' does not exist")
        if not account.enabled:
            raise TokenError(f"account {name} is disabled")
        if not account.has_capability(capability):
            raise TokenError(f"account {name} does not have '{capability}' capability")
        if not token_id:
            raise TokenError("token does not have a unique identifier (jti claim) and cannot be validated")
        if self.revoked.is_revoked(str(token_id)):
            raise TokenError("token is revoked, please re-login")
        if capability == CAPABILITY_API_KEY and account.token_index(str(token_id)) < 0:
            raise TokenError(f"account {name} does not have token with id {token_id}")
        if account.password_mtime is not None and issued_at < int(
            account.password_mtime.astimezone(UTC).timestamp()
        ):
            raise TokenError("account password has changed since token issued, please re-login")
        return Caller(claims=claims, username=name, capability=capability)
