"""Reading a Secret's values as text: ``data`` (base64) and ``stringData``, one way everywhere.

Repository, repo-creds and cluster Secrets, and ``argocd-secret``, are all
read through :func:`secret_text`. A value that is not base64 of UTF-8 text is
never silently dropped: the strict reading raises :class:`SecretDataError`
naming the Secret and the key (never the value), so the object it describes
shows up with that error instead of vanishing; the lenient reading (for
``argocd-secret``, which may hold binary keys Argosy does not read) logs the
key it leaves out.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)


class SecretDataError(ValueError):
    """A Secret value is not base64 of UTF-8 text; the message names the Secret and the key."""


def secret_text(
    secret: Mapping[str, Any] | None, *, what: str = "Secret", strict: bool = True
) -> dict[str, str]:
    """Every value of ``secret`` as text (``stringData`` wins over ``data``, as the API server merges).

    ``what`` names the object in messages (e.g. "cluster Secret 'prod'"). With
    ``strict`` an undecodable value raises; otherwise it is left out and logged.
    """
    out: dict[str, str] = {}
    for key, value in ((secret or {}).get("data") or {}).items():
        try:
            out[str(key)] = base64.b64decode(value or "", validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError) as exc:
            message = (
                f"{what} key {key!r}: not valid base64 UTF-8; put plain text under stringData or base64 "
                "under data"
            )
            if strict:
                raise SecretDataError(message) from exc
            log.warning("%s (the key is ignored)", message)
    for key, value in ((secret or {}).get("stringData") or {}).items():
        out[str(key)] = "" if value is None else str(value)
    return out


def secret_key(secret: Mapping[str, Any] | None, name: str, key: str, *, field: str = "") -> str:
    """The text of ``key`` in the Secret ``name`` that a spec field points at (``tokenRef`` and the like).

    ``secret`` is the object as read (None when it does not exist). Every failure raises
    :class:`SecretDataError` naming the Secret, the key and, when given, the spec ``field`` to fix —
    never the value — so each caller only adds where the reference was found.
    """
    if secret is None:
        raise SecretDataError(f"Secret {name!r}{f' ({field})' if field else ''} does not exist")
    data = secret_text(secret, what=f"Secret {name!r}")
    if key not in data:
        raise SecretDataError(f"Secret {name!r} has no key {key!r}{f' ({field}.key)' if field else ''}")
    return data[key]
