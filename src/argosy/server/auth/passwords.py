"""Password hashing and rules: bcrypt as Argo CD, and its default ``passwordPattern``.

Hashes are interchangeable with Argo CD's, so an ``argocd-secret`` carried
over from Argo CD keeps working and the other way round.
"""

from __future__ import annotations

import secrets
import string

import bcrypt

from argosy.engine.regex import RegexError, compile_go

#: Argo CD's default ``passwordPattern`` (argocd-cm): 8 to 32 characters.
DEFAULT_PASSWORD_PATTERN = "^.{8,32}$"
#: Argo CD hashes with bcrypt's default cost.
BCRYPT_COST = 10
# bcrypt only looks at the first 72 bytes; longer passwords are refused rather than silently cut.
_BCRYPT_MAX_BYTES = 72


class PasswordError(ValueError):
    """A new password breaks a rule; the message says which."""


def hash_password(password: str) -> str:
    raw = password.encode("utf-8")
    if len(raw) > _BCRYPT_MAX_BYTES:
        raise PasswordError(f"password is longer than {_BCRYPT_MAX_BYTES} bytes; choose a shorter one")
    return bcrypt.hashpw(raw, bcrypt.gensalt(BCRYPT_COST)).decode("ascii")


def verify_password(password: str, hashed: str) -> bool:
    """Constant-time check; any malformed hash or over-long password is simply a mismatch."""
    if not password or not hashed:
        return False
    raw = password.encode("utf-8")
    if len(raw) > _BCRYPT_MAX_BYTES:
        return False
    try:
        return bcrypt.checkpw(raw, hashed.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return False


def check_new_password(password: str, pattern: str = "") -> None:
    """Refuse a password that breaks ``passwordPattern`` (Argo CD's default when unset)."""
    rule = pattern or DEFAULT_PASSWORD_PATTERN
    try:
        compiled = compile_go(rule)  # linear time (RE2, as Argo CD): the password is the caller's input
    except RegexError as err:
        raise PasswordError(f"argocd-cm passwordPattern {err}; fix it first") from None
    if not compiled.search(password):
        raise PasswordError(f"new password does not match the following expression: {rule}")
    if len(password.encode("utf-8")) > _BCRYPT_MAX_BYTES:
        raise PasswordError(f"new password is longer than {_BCRYPT_MAX_BYTES} bytes")


def generate_password(length: int = 16) -> str:
    """A random password for the initial admin (letters and digits, easy to paste)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
