"""Errors from a destination cluster, phrased for the person who must act on them.

Every error names the cluster; errors about one object also name its
group/kind/namespace/name, carry the API server's own message (which names the
offending field) and say what to do. The controller turns them into
conditions and per-resource sync results; nothing here is ever fatal to a loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argosy.engine.keys import ResourceKey


@dataclass
class KubeError(Exception):
    """Base: something went wrong talking to ``cluster``."""

    cluster: str
    message: str

    def __str__(self) -> str:
        return f"cluster {self.cluster}: {self.message}"


@dataclass
class ClusterUnreachable(KubeError):
    """The API server did not answer (network, TLS, timeout): nothing about the objects is known."""

    def __str__(self) -> str:
        return (
            f"cluster {self.cluster} is unreachable: {self.message}; check the server URL, the network "
            "and the credentials in its cluster Secret"
        )


@dataclass
class KubeApiError(KubeError):
    """The API server answered with an error status."""

    status: int = 0
    reason: str = ""
    key: ResourceKey | None = None
    causes: tuple[str, ...] = ()

    @property
    def not_found(self) -> bool:
        return self.status == 404

    @property
    def conflict(self) -> bool:
        return self.status == 409

    @property
    def gone(self) -> bool:
        return self.status == 410

    @property
    def invalid(self) -> bool:
        """The object itself was refused: malformed or unknown fields (400), or invalid (422)."""
        return self.status in (400, 422)

    def hint(self) -> str:
        if self.status in (401,):
            return "the credentials were refused; renew the token or certificate in the cluster Secret"
        if self.status == 403:
            return "grant Argosy's service account (or the cluster Secret's user) access to this resource"
        if self.status == 404:
            return "the object or its API does not exist on this cluster (is the CRD installed?)"
        if self.status == 409 and self.reason == "Conflict" and "field manager" in self.message:
            return (
                "another field manager owns these fields; sync with ServerSideApply force, or fix the owner"
            )
        if self.status == 422 or self.reason == "Invalid" or self.status == 400:
            return "fix the manifest in Git"
        if self.status >= 500 or self.status == 429:
            return "the API server is overloaded or failing; it will be retried"
        return ""

    def __str__(self) -> str:
        what = f"{self.key}: " if self.key else ""
        hint = self.hint()
        return f"cluster {self.cluster}: {what}{self.message}" + (f" ({hint})" if hint else "")


def api_error_from_status(
    cluster: str, status: int, reason: str, body: Any, key: ResourceKey | None = None
) -> KubeApiError:
    """Build the error from a ``Status`` body, keeping the server's message verbatim."""
    message = reason or f"HTTP {status}"
    causes: tuple[str, ...] = ()
    if isinstance(body, dict):
        message = str(body.get("message") or message)
        reason = str(body.get("reason") or reason)
        details = body.get("details") or {}
        causes = tuple(
            f"{c.get('field', '')}: {c.get('message', '')}".strip(": ")
            for c in details.get("causes") or ()
            if isinstance(c, dict)
        )
    elif isinstance(body, (bytes, str)) and body:
        text = body.decode(errors="replace") if isinstance(body, bytes) else body
        message = text.strip()[:500] or message
    return KubeApiError(
        cluster=cluster, message=message, status=status, reason=reason, key=key, causes=causes
    )


def server_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` says the API server cannot be reached or cannot serve *now* (no answer,
    429, 502-504): the same request may well succeed later, unlike an answer about the object."""
    if isinstance(exc, ClusterUnreachable):
        return True
    return isinstance(exc, KubeApiError) and exc.status in (429, 502, 503, 504)


def http_status(exc: KubeError) -> int:
    """The API server's HTTP status for ``exc``; 503 when it did not answer at all."""
    return exc.status if isinstance(exc, KubeApiError) else 503
