"""Keep credentials out of messages.

Git and Helm echo the URL they talk to, and a URL may carry ``user:password@``;
users also paste tokens into ``repoURL``. Everything that becomes an error or a
log line passes through :func:`redact` with the secrets known for the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_URL_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s:]*:[^/@\s]*@")
_AUTH_HEADER = re.compile(r"(?i)(authorization:\s*(?:basic|bearer)\s+)\S+")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace each known secret, URL user-info passwords and auth headers by ``***``."""
    for secret in sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)
    return _AUTH_HEADER.sub(lambda m: f"{m.group(1)}***", text)


def strip_userinfo(url: str) -> str:
    """The URL without ``user:password@``, for display."""
    return _URL_USERINFO.sub(lambda m: m.group("scheme"), url)
